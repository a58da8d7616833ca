//! Team macros over loopback on SQLite and PostgreSQL: admins set and remove them (checked
//! first), every agent reads them; and `casebook macros load` with the real binary.

mod common;

use casebook::domain::agent::Role;
use common::TestServer;
use serde_json::json;

async fn team_macros(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let r = s.get("/api/v1/macros", &agent).await;
    assert_eq!((r.status, &r.json), (200, &json!({"macros": []})));

    let sorry = json!({
        "name": "delay-sorry", "title": "Sorry for the delay", "language": "en",
        "text": "Hi {customer.first_name}, sorry about {order.last} 📦 — ¡lo siento! مرحبا",
        "set_status": "pending", "follow_up": "1d"
    });
    let r = s.post("/api/v1/macros", &agent, sorry.clone()).await;
    assert_eq!(r.status, 403, "agents read macros, admins set them: {}", r.json);
    let r = s.post("/api/v1/macros", &admin, sorry.clone()).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::POST, "/api/v1/macros", 200, "application/json", &r.json);
    // Set again, changed: replaced, not added.
    let mut changed = sorry.clone();
    changed["title"] = json!("Sorry for the wait");
    assert_eq!(s.post("/api/v1/macros", &admin, changed).await.status, 200);
    let r = s.get("/api/v1/macros", &agent).await;
    assert_eq!(r.json["macros"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["macros"][0]["title"], "Sorry for the wait");
    assert_eq!(r.json["macros"][0]["text"], sorry["text"], "emoji and RTL text kept as sent");
    common::conforms(&reqwest::Method::GET, "/api/v1/macros", 200, "application/json", &r.json);

    // What is wrong is said.
    let mut bad = sorry.clone();
    bad["text"] = json!("Hi {customer.nick}");
    let r = s.post("/api/v1/macros", &admin, bad).await;
    assert!(r.status == 422 || r.status == 400, "{}", r.json);
    assert!(
        r.json["detail"].as_str().unwrap().contains("customer.first_name"),
        "names the variables there are: {}",
        r.json
    );
    let mut nul = sorry.clone();
    nul["text"] = json!("a\u{0}b");
    assert!(s.post("/api/v1/macros", &admin, nul).await.status >= 400);
    let mut unnamed = sorry.clone();
    unnamed["name"] = json!("Sorry!");
    assert!(s.post("/api/v1/macros", &admin, unnamed).await.status >= 400);
    let mut extra = sorry.clone();
    extra["colour"] = json!("red");
    assert_eq!(s.post("/api/v1/macros", &admin, extra).await.status, 422);

    // Removed once; then there is nothing to remove.
    let r = s.send(reqwest::Method::DELETE, "/api/v1/macros/delay-sorry", Some(&agent), None).await;
    assert_eq!(r.status, 403);
    let r = s.send(reqwest::Method::DELETE, "/api/v1/macros/delay-sorry", Some(&admin), None).await;
    assert_eq!(r.status, 204);
    let r = s.send(reqwest::Method::DELETE, "/api/v1/macros/delay-sorry", Some(&admin), None).await;
    assert_eq!((r.status, r.code()), (404, "not-found"));
}

both_backends!(team_macros);

/// `casebook macros load FILE` checks every macro, stores them, and says which is wrong.
#[test]
fn macros_load_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let bin = env!("CARGO_BIN_EXE_casebook");
    let file = dir.path().join("macros.toml");
    std::fs::write(
        &file,
        "[[macro]]\nname = \"greet\"\ntitle = \"Greeting\"\ntext = \"Hi {customer.first_name}\"\n\n[[macro]]\nname = \"ask\"\ntitle = \"Ask\"\nstep = \"ask\"\ntext = \"When did it start?\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).env("HOME", dir.path()).output().unwrap();
    let out = run(&["macros", "load", file.to_str().unwrap(), "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Loaded 2 macros"));
    let out = run(&["macros", "list", "--database", &db]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("greet") && listed.contains("ask") && listed.contains("Greeting"), "{listed}");
    std::fs::write(&file, "[[macro]]\nname = \"greet\"\ntitle = \"Greeting\"\ntext = \"Hi {customer.nickname}\"\n")
        .unwrap();
    let out = run(&["macros", "load", file.to_str().unwrap(), "--database", &db]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("macro 1 (`greet`): text:") && said.contains("customer.nickname"), "{said}");
    let out = run(&["macros", "remove", "nope", "--database", &db]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("casebook macros list"));
}
