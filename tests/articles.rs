//! The knowledge base over loopback on SQLite and PostgreSQL: admins set and remove articles
//! (checked first), every agent searches them (every word, the last as typed so far; by title
//! when nothing is typed; a language's and the language-free ones), reads one whole, and gets
//! those that fit a case from its subject and the customer's latest events — the same
//! articles from both backends' full-text search. And `casebook articles load` with the binary.

mod common;

use casebook::domain::agent::Role;
use common::{ce, TestServer};
use serde_json::{json, Value};

fn article(slug: &str, title: &str, body: &str, tags: &[&str], language: Option<&str>) -> Value {
    json!({"slug": slug, "title": title, "summary": format!("{title}, in short."), "body": body,
           "tags": tags, "language": language})
}

fn slugs(r: &Value) -> Vec<String> {
    r["articles"].as_array().unwrap().iter().map(|a| a["slug"].as_str().unwrap().to_string()).collect()
}

async fn knowledge_base(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let r = s.get("/api/v1/articles", &agent).await;
    assert_eq!((r.status, &r.json), (200, &json!({"articles": []})));

    let set = [
        article(
            "refunds",
            "How refunds work",
            "A refund goes back to the card it was paid with within 5 working days.",
            &["billing"],
            Some("en"),
        ),
        article(
            "failed-payment",
            "When a payment fails",
            "Ask the customer to check the card's expiry date; retry the payment from billing.",
            &["billing", "payments"],
            Some("en"),
        ),
        article(
            "password-reset",
            "Cannot log in after a password reset",
            "The reset link works once. Send a new one; clear the browser's cookies. 🔑",
            &["login"],
            None,
        ),
        article(
            "rimborso",
            "Come funziona il rimborso",
            "Il rimborso torna sulla carta entro 5 giorni lavorativi. مرحبا",
            &["billing"],
            Some("it"),
        ),
        article(
            "parcel-stuck",
            "A parcel stuck at the depot",
            "The carrier's scan stops at the depot: open a trace with the carrier. Not a refund yet.",
            &["shipping"],
            Some("en"),
        ),
    ];
    let r = s.post("/api/v1/articles", &agent, set[0].clone()).await;
    assert_eq!(r.status, 403, "agents read articles, admins set them: {}", r.json);
    for a in &set {
        let r = s.post("/api/v1/articles", &admin, a.clone()).await;
        assert_eq!(r.status, 200, "{}", r.json);
        common::conforms(&reqwest::Method::POST, "/api/v1/articles", 200, "application/json", &r.json);
    }
    // Set again, changed: replaced, and found by its new words only.
    let mut changed = set[4].clone();
    changed["body"] = json!("The carrier's scan stops at the hub: open a trace with the carrier.");
    assert_eq!(s.post("/api/v1/articles", &admin, changed).await.status, 200);

    // Nothing typed: every article by title (language-free ones in every language).
    let r = s.get("/api/v1/articles", &agent).await;
    assert_eq!(slugs(&r.json), ["parcel-stuck", "password-reset", "rimborso", "refunds", "failed-payment"]);
    common::conforms(&reqwest::Method::GET, "/api/v1/articles", 200, "application/json", &r.json);
    let r = s.get("/api/v1/articles?language=it", &agent).await;
    assert_eq!(slugs(&r.json), ["password-reset", "rimborso"]);

    // Every word, the last as typed so far; the title counts most.
    let r = s.get("/api/v1/articles?q=refund", &agent).await;
    assert_eq!(slugs(&r.json), ["refunds"], "the last word as typed so far");
    let r = s.get("/api/v1/articles?q=card%20refu", &agent).await;
    assert_eq!(slugs(&r.json), ["refunds"]);
    let r = s.get("/api/v1/articles?q=carrier%20refund", &agent).await;
    assert!(slugs(&r.json).is_empty(), "the old text is gone from the index: {}", r.json);
    let r = s.get("/api/v1/articles?q=carrier%20hub", &agent).await;
    assert_eq!(slugs(&r.json), ["parcel-stuck"]);
    let r = s.get("/api/v1/articles?q=billing", &agent).await;
    assert_eq!(slugs(&r.json).len(), 3, "tags are searched: {}", r.json);
    // Any word instead of every word.
    let r = s.get("/api/v1/articles?q=hub%20cookies&match=any", &agent).await;
    let mut found = slugs(&r.json);
    found.sort();
    assert_eq!(found, ["parcel-stuck", "password-reset"], "{}", r.json);
    assert!(slugs(&s.get("/api/v1/articles?q=hub%20cookies", &agent).await.json).is_empty());
    assert_eq!(s.get("/api/v1/articles?q=x&match=some", &agent).await.status, 400);
    let r = s.get("/api/v1/articles?q=rimborso&language=it", &agent).await;
    assert_eq!(slugs(&r.json), ["rimborso"]);
    // Whatever is typed, nothing breaks the query.
    for q in ["%22", "*", "a%20OR%20b", "NEAR(x", "%27%3B%20DROP", "-x", "%F0%9F%94%91", "title:x", "x:*%20%7C"] {
        let r = s.get(&format!("/api/v1/articles?q={q}"), &agent).await;
        assert_eq!(r.status, 200, "{q}: {}", r.json);
    }
    let r = s.get("/api/v1/articles?language=klingon", &agent).await;
    assert_eq!(r.status, 400, "{}", r.json);

    // One whole.
    let r = s.get("/api/v1/articles/password-reset", &agent).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["body"], set[2]["body"], "emoji kept");
    common::conforms(&reqwest::Method::GET, "/api/v1/articles/password-reset", 200, "application/json", &r.json);
    assert_eq!(s.get("/api/v1/articles/nope", &agent).await.status, 404);

    // Suggested for a case: its subject and the customer's latest events.
    let ingest = s.ingest_token("billing").await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-7").await;
    let e = ce(
        "pf-1",
        "billing",
        "payment_failed",
        "C-7",
        &chrono::Utc::now().to_rfc3339(),
        json!({"title": "Payment failed: card expired"}),
    );
    // Billing names the customer by casebook's id.
    let mut e = e;
    e.as_object_mut().unwrap().remove("subject");
    e["casebookcustomer"] = json!(customer);
    let r = s.events(&ingest, "application/cloudevents+json", e).await;
    assert!(r.status < 300, "{}", r.json);
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Charged twice?"})).await;
    assert_eq!(case.status, 201, "{}", case.json);
    let path = format!("/api/v1/cases/{}/articles?language=en", case.json["id"].as_str().unwrap());
    let r = s.get(&path, &agent).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["terms"],
        json!(["charged", "twice", "payment", "failed", "card", "expired", "signed"]),
        "{}",
        r.json
    );
    assert_eq!(slugs(&r.json)[0], "failed-payment", "the best fit first: {}", r.json);
    assert!(!slugs(&r.json).contains(&"rimborso".to_string()), "not in the agent's language");
    common::conforms(&reqwest::Method::GET, &path, 200, "application/json", &r.json);
    let r = s.get(&format!("/api/v1/cases/{}/articles", uuid::Uuid::now_v7()), &agent).await;
    assert_eq!(r.status, 404);

    // What is wrong is said.
    let mut bad = set[0].clone();
    bad["slug"] = json!("Refunds!");
    assert!(s.post("/api/v1/articles", &admin, bad).await.status >= 400);
    let mut nul = set[0].clone();
    nul["body"] = json!("a\u{0}b");
    assert!(s.post("/api/v1/articles", &admin, nul).await.status >= 400);
    let mut untitled = set[0].clone();
    untitled["title"] = json!("  ");
    let r = s.post("/api/v1/articles", &admin, untitled).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("title"), "{}", r.json);
    let mut big = set[0].clone();
    big["body"] = json!("x".repeat(300_000));
    let r = s.post("/api/v1/articles", &admin, big).await;
    assert!(r.json["detail"].as_str().unwrap_or("").contains("split it"), "{}", r.json);

    // Removed once; then there is nothing to remove, and search no longer finds it.
    let r = s.send(reqwest::Method::DELETE, "/api/v1/articles/refunds", Some(&agent), None).await;
    assert_eq!(r.status, 403);
    let r = s.send(reqwest::Method::DELETE, "/api/v1/articles/refunds", Some(&admin), None).await;
    assert_eq!(r.status, 204);
    let r = s.send(reqwest::Method::DELETE, "/api/v1/articles/refunds", Some(&admin), None).await;
    assert_eq!((r.status, r.code()), (404, "not-found"));
    assert!(slugs(&s.get("/api/v1/articles?q=card%20refu", &agent).await.json).is_empty());
}

both_backends!(knowledge_base);

/// `casebook articles load DIR` reads every `.md` file, checks each, and says which is wrong.
#[test]
fn articles_load_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kb.db").display());
    let bin = env!("CARGO_BIN_EXE_casebook");
    let kb = dir.path().join("kb");
    std::fs::create_dir(&kb).unwrap();
    std::fs::write(kb.join("Refund Policy.md"), "---\ntags: billing\n---\n# Refunds\n\nMoney back in 5 days.\n")
        .unwrap();
    std::fs::write(kb.join("login.md"), "# Cannot log in\n\nSend a new reset link.\n").unwrap();
    std::fs::write(kb.join("notes.txt"), "not an article").unwrap();
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).env("HOME", dir.path()).output().unwrap();
    let out = run(&["articles", "load", kb.to_str().unwrap(), "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Loaded 2 articles"));
    let out = run(&["articles", "list", "--database", &db]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("refund-policy") && listed.contains("Cannot log in"), "{listed}");
    let out = run(&["articles", "list", "money", "--database", &db]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("refund-policy") && !listed.contains("login"), "{listed}");
    std::fs::write(kb.join("broken.md"), "no title here\n").unwrap();
    let out = run(&["articles", "load", kb.to_str().unwrap(), "--database", &db]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("broken.md") && said.contains("`# Title`"), "{said}");
    let out = run(&["articles", "remove", "nope", "--database", &db]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("casebook articles list"));
}
