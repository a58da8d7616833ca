//! The real `casebook` binary, used as the README tells a newcomer to: add an agent and an
//! ingest token, start `serve`, post a CloudEvents batch, read it back as a timeline; and
//! `demo`, which must start with nothing configured and clean up on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_casebook");

fn casebook(args: &[&str]) -> (bool, String, String) {
    let (code, out, err) = casebook_code(args);
    (code == Some(0), out, err)
}

/// Runs the binary to its end: its exit code, stdout (trimmed) and stderr.
fn casebook_code(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).env("NO_COLOR", "1").output().expect("run casebook");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a long-running subcommand and returns it with the stdout lines read until `until`
/// appears (or a timeout).
fn start(args: &[&str], until: &str) -> (Killed, Vec<String>) {
    let mut child = Killed(
        Command::new(BIN)
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn casebook"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let done = line.contains(until);
                lines.push(line);
                if done {
                    return (child, lines);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        }
    }
    panic!("`casebook {}` never printed `{until}`; it printed: {lines:?}", args.join(" "));
}

/// Posts CloudEvents (`content_type` says single or batch) and returns the answer.
async fn post_events(base: &str, token: &str, content_type: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get_json(url: &str, token: &str) -> Value {
    reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn readme_walkthrough_with_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("server.db").display());

    let (ok, agent_token, err) =
        casebook(&["admin", "agent", "add", "anna", "--role", "agent", "--team", "support", "--database", &db]);
    assert!(ok, "{err}");
    assert!(agent_token.starts_with("cba_"), "the token alone on stdout: {agent_token}");
    assert!(err.contains("shown once"));
    let (ok, ingest_token, err) = casebook(&["admin", "ingest-token", "add", "shop", "--database", &db]);
    assert!(ok, "{err}");
    assert!(ingest_token.starts_with("cbi_"));

    let (_server, lines) = start(&["serve", "--listen", "127.0.0.1:0", "--database", &db], "listening on");
    let base = lines.last().unwrap().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let batch = json!([
        {"specversion": "1.0", "id": "o-1", "source": "shop", "type": "com.acme.shop.order_placed", "subject": "C-1042",
         "time": "2024-05-01T12:00:00Z", "customeremail": "anna.rossi@example.com", "customername": "Anna Rossi",
         "data": {"title": "Order #1 placed", "total": 42.5}},
        {"specversion": "1.0", "id": "o-2", "source": "shop", "type": "com.acme.shop.order_shipped", "subject": "C-1042",
         "time": "2024-05-02T08:00:00Z", "data": {"title": "Order #1 shipped"}}
    ]);
    let r = post_events(&base, &ingest_token, "application/cloudevents-batch+json", &batch).await;
    assert_eq!(r["created"], 2, "{r}");
    let found = get_json(&format!("{base}/api/v1/customers?q=anna.rossi"), &agent_token).await;
    let id = found["customers"][0]["id"].as_str().expect("found by email").to_string();
    let timeline = get_json(&format!("{base}/api/v1/customers/{id}/timeline"), &agent_token).await;
    let titles: Vec<&str> =
        timeline["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Order #1 shipped", "Order #1 placed"]);
}

#[test]
fn casebook_alone_takes_the_server_and_token_from_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        Command::new(BIN)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("CASEBOOK_SERVER")
            .env_remove("CASEBOOK_TOKEN")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed in yet"));
    // With both set it goes on to the server (here, one that is not there).
    let out = run(&[("CASEBOOK_SERVER", "http://127.0.0.1:1"), ("CASEBOOK_TOKEN", "cba_x")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cannot reach the server at http://127.0.0.1:1"), "{err}");
}

#[test]
fn bad_arguments_get_clear_errors() {
    let (ok, _, err) = casebook(&["serve", "--database", "mysql://localhost/x"]);
    assert!(!ok);
    assert!(err.contains("sqlite://PATH or postgres://"), "{err}");
    let (ok, _, err) =
        casebook(&["admin", "agent", "add", "x", "--role", "boss", "--database", "sqlite:///tmp/never-used.db"]);
    assert!(!ok);
    assert!(err.contains("agent, lead, admin"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let (ok, _, err) = casebook(&["seed", "--customers", "3", "--anchor", "yesterday", "--database", &db]);
    assert!(!ok);
    assert!(err.contains("RFC 3339"), "{err}");
    let (ok, _, err) = casebook(&["admin", "agent", "token", "ghost", "--database", &db]);
    assert!(!ok);
    assert!(err.contains("no agent named `ghost`"), "{err}");
}

#[tokio::test]
async fn demo_starts_with_nothing_configured_and_cleans_up() {
    let (demo, lines) = start(&["demo", "--customers", "30", "--events-per-customer", "10"], "Ctrl-C");
    let text = lines.join("\n");
    let url = text
        .split("CASEBOOK_SERVER=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("a server URL")
        .to_string();
    let token =
        text.split("CASEBOOK_TOKEN=").nth(1).and_then(|s| s.split_whitespace().next()).expect("a token").to_string();
    let data_dir =
        text.split("(data in ").nth(1).and_then(|s| s.split(')').next()).expect("the data folder").to_string();
    assert!(std::path::Path::new(&data_dir).exists());
    let me = get_json(&format!("{url}/api/v1/me"), &token).await;
    assert_eq!(me["agent"]["name"], "anna");
    let cases = get_json(&format!("{url}/api/v1/cases?limit=200"), &token).await;
    assert!(cases["cases"].as_array().unwrap().len() >= 5, "seeded cases: {cases}");

    let mut demo = demo;
    let pid = demo.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = demo.0.try_wait().unwrap() {
            assert!(status.success(), "demo exited with {status}");
            break;
        }
        assert!(Instant::now() < deadline, "demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!std::path::Path::new(&data_dir).exists(), "the demo's data folder is removed");
}

/// The server process killed (SIGKILL) in the middle of a push of 600 operations, then
/// started again on the same database: `casebook sync` reports the failure (exit 2), and the
/// next run applies every operation exactly once (exit 0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_survives_the_server_killed_mid_push() {
    use casebook::casework::{NewCaseRequest, NewNoteRequest};
    use casebook::local::LocalStore;

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("server.db").display());
    let (_, token, err) =
        casebook(&["admin", "agent", "add", "anna", "--role", "agent", "--team", "support", "--database", &db]);
    assert!(token.starts_with("cba_"), "{err}");
    let (_, ingest, _) = casebook(&["admin", "ingest-token", "add", "shop", "--database", &db]);
    let serve = || start(&["serve", "--listen", "127.0.0.1:0", "--database", &db], "listening on");
    let (mut server, lines) = serve();
    let base = lines.last().unwrap().rsplit(' ').next().unwrap().to_string();
    let event = json!({"specversion": "1.0", "id": "s-1", "source": "shop", "type": "com.acme.shop.signup",
        "subject": "C-7", "time": "2024-05-01T12:00:00Z", "customername": "Kim Lee", "data": {}});
    let r = post_events(&base, &ingest, "application/cloudevents+json", &event).await;
    let customer = r["customer_id"].as_str().unwrap_or_else(|| panic!("{r}")).to_string();

    let store_path = dir.path().join("anna-local.db");
    let store_arg = store_path.to_str().unwrap();
    let sync = |base: &str| casebook_code(&["sync", "--server", base, "--token", &token, "--store", store_arg]);
    let (code, out, err) = sync(&base);
    assert_eq!(code, Some(0), "{out}\n{err}");

    // 600 operations recorded offline.
    let local = LocalStore::open(&store_path).await.unwrap();
    let case = local.open_case(NewCaseRequest::new(customer.parse().unwrap(), "Killed mid-push")).await.unwrap();
    for i in 1..600 {
        local.add_note(case.id, NewNoteRequest { body: format!("note {i}"), visibility: None }).await.unwrap();
    }
    local.close().await;

    // Push, and kill the server once some of it has committed.
    let pushing = Command::new(BIN)
        .args(["sync", "--server", &base, "--token", &token, "--store", store_arg])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let watcher = casebook::store::Store::open(&db).await.unwrap();
    let applied = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sync_ops").fetch_one(watcher.reader()).await.unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while applied().await < 50 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let at_kill = applied().await;
    assert!((50..600).contains(&at_kill), "the kill came mid-push: {at_kill} of 600 applied");
    let out = pushing.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("sync failed"), "{stdout}");

    // Started again on the same database: one more sync applies the rest, each once.
    let (_server, lines) = serve();
    let base = lines.last().unwrap().rsplit(' ').next().unwrap().to_string();
    let (code, out, err) = sync(&base);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("waiting: 0 · conflicts: 0 · refused: 0"), "{out}");
    assert_eq!(applied().await, 600);
    let notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_notes").fetch_one(watcher.reader()).await.unwrap();
    assert_eq!(notes, 599);
    let (code, out, _) = sync(&base);
    assert_eq!(code, Some(0));
    assert!(out.contains("pushed: 0 applied"), "{out}");

    // Without --store: the agent's own store in the data dir, found again when offline.
    let data = tempfile::tempdir().unwrap();
    let run = |base: &str| {
        Command::new(BIN)
            .args(["sync", "--server", base, "--token", &token])
            .env("XDG_DATA_HOME", data.path())
            .env("HOME", data.path())
            .output()
            .unwrap()
    };
    let online = run(&base);
    assert_eq!(online.status.code(), Some(0), "{}", String::from_utf8_lossy(&online.stderr));
    let port = base.rsplit(':').next().unwrap();
    let expected = data.path().join(format!("casebook/local/127.0.0.1_{port}/anna.db"));
    assert!(expected.exists(), "{}", String::from_utf8_lossy(&online.stdout));
    drop(_server);
    let offline = run(&base);
    let (stdout, stderr) = (String::from_utf8_lossy(&offline.stdout), String::from_utf8_lossy(&offline.stderr));
    assert_eq!(offline.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("sync failed: cannot reach the server") && stdout.contains("waiting: 0"), "{stdout}");
    let nowhere = Command::new(BIN)
        .args(["sync", "--server", "http://127.0.0.1:1", "--token", &token])
        .env("XDG_DATA_HOME", data.path())
        .env("HOME", data.path())
        .output()
        .unwrap();
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no local store for this server"));
    watcher.close().await;
}

/// `casebook admin token revoke`: one token from standard input, or every token of an agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_revokes_tokens_from_the_command_line() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    let add = |name: &str| {
        let out = std::process::Command::new(BIN)
            .args(["admin", "agent", "add", name, "--role", "agent", "--database", &db])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let anna = add("anna");
    let _ben = add("ben");
    let mut child = std::process::Command::new(BIN)
        .args(["admin", "token", "revoke", "--database", &db])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{anna}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Revoked"));
    // Again: nothing live, said plainly, exit 1.
    let out =
        std::process::Command::new(BIN).args(["admin", "token", "revoke", &anna, "--database", &db]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not known or was revoked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(BIN)
        .args(["admin", "token", "revoke", "--agent", "ben", "--database", &db])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Revoked 1 token(s) of `ben`"), "{out:?}");
    let store = casebook::store::Store::open(&db).await.unwrap();
    assert!(store.principal(&anna).await.unwrap().is_none());
    store.close().await;
}

/// A database that cannot be written is said at once, in words; `serve` on a port in use
/// says so before it touches (or creates) the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_database_and_busy_port_are_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cb.db");
    let db = format!("sqlite://{}", file.display());
    let out = Command::new(BIN)
        .args(["admin", "agent", "add", "anna", "--role", "agent", "--database", &db])
        .output()
        .unwrap();
    assert!(out.status.success());
    let ro = format!("{db}?mode=ro");
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["admin", "agent", "add", "ben", "--role", "agent", "--database", &ro])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("read-only"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "said at once, not after a pool timeout");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let fresh = dir.path().join("never.db");
    let out = Command::new(BIN)
        .args(["serve", "--listen", &addr, "--database", &format!("sqlite://{}", fresh.display())])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cannot listen on"), "{err}");
    assert!(!fresh.exists(), "the database was not touched");
}

/// A hook set up from the command line (the secret from standard input) takes a signed
/// delivery on the served binary: `admin` and `serve` share the secret key file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_set_up_from_the_command_line_takes_signed_deliveries() {
    use casebook::integrations::signature::{sign, Scheme};
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    let key = dir.path().join("keys").join("secret.key");
    let key = key.to_str().unwrap();
    let mut child = Command::new(BIN)
        .args(["admin", "hook", "add", "stripe", "--preset", "stripe", "--database", &db, "--secret-key-file", key])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "whsec_from_the_dashboard").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.contains("/api/v1/hooks/stripe") && err.contains("`billing`"), "{err}");
    assert!(!std::fs::read_to_string(dir.path().join("cb.db")).unwrap_or_default().contains("whsec_from"));
    let (ok, list, _) = casebook(&["admin", "hook", "list", "--database", &db]);
    assert!(ok && list.contains("stripe") && list.contains("billing"), "{list}");
    let (ok, preset, _) = casebook(&["admin", "hook", "preset", "shopify"]);
    assert!(ok && preset.contains("X-Shopify-Topic"), "{preset}");
    let (ok, _, err) = casebook(&["admin", "hook", "preset", "paypal"]);
    assert!(!ok && err.contains("stripe, shopify, zendesk"), "{err}");

    let (_server, lines) =
        start(&["serve", "--listen", "127.0.0.1:0", "--database", &db, "--secret-key-file", key], "listening on");
    let base = lines.last().unwrap().rsplit(' ').next().unwrap().to_string();
    let body = serde_json::to_vec(&json!({
        "id": "evt_cli", "object": "event", "created": chrono::Utc::now().timestamp(), "type": "charge.refunded",
        "data": {"object": {"customer": "cus_1", "amount_refunded": 1250, "currency": "eur"}}
    }))
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let mut req = reqwest::Client::new().post(format!("{base}/api/v1/hooks/stripe")).body(body.clone());
    for (k, v) in sign(&Scheme::Stripe { tolerance_secs: 300 }, b"whsec_from_the_dashboard", &body, now) {
        req = req.header(k, v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["source"], "billing");
}

#[test]
fn completions_for_the_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, out, err) = casebook(&["completions", shell]);
        assert!(ok, "{shell}: {err}");
        assert!(out.contains("serve") && out.contains("hook") && out.contains("secret-key-file"), "{shell}: {out}");
    }
    let (ok, _, err) = casebook(&["completions", "tcsh"]);
    assert!(!ok && err.contains("bash"), "{err}");
}

/// History from a JSON Lines file: a dry run names every bad line and stores nothing; the import
/// stores the good lines and names the bad ones; a rerun adds nothing twice.
#[tokio::test]
async fn import_checks_every_line_stores_the_good_ones_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    let file = dir.path().join("history.jsonl");
    let ev = |id: &str, title: &str| {
        json!({"specversion": "1.0", "id": id, "source": "shop", "type": "com.acme.shop.order_placed",
               "subject": "C-7", "time": "2023-04-01T10:00:00Z", "data": {"title": title}})
        .to_string()
    };
    let lines = [
        ev("o-1", "Order #1 placed"),
        ev("o-2", "Order #2 placed — 🎁 gift"),
        String::new(),
        "{not json".to_string(),
        r#"{"specversion": "1.0", "id": "o-4", "type": "com.acme.shop.order_placed", "subject": "C-7"}"#.to_string(),
        ev("o-3", "Order #3 placed"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let path = file.to_str().unwrap();

    let (code, out, err) = casebook_code(&["import", path, "--dry-run", "--database", &db]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("line 4: not JSON") && err.contains("line 5:") && err.contains("source"), "{err}");
    assert!(out.contains("3 events would be imported, 2 lines refused") && out.contains("Nothing was stored"), "{out}");

    let (code, out, err) = casebook_code(&["import", path, "--database", &db]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("Imported 3 new events (0 were there already) from 6 lines"), "{out}");
    let (code, out, _) = casebook_code(&["import", path, "--database", &db, "--batch", "2"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("Imported 0 new events (3 were there already)"), "{out}");

    let store = casebook::store::Store::open(&db).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(store.reader()).await.unwrap();
    assert_eq!(n, 3);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_subscribed_from_the_command_line_gets_signed_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    let key = dir.path().join("secret.key");
    let key = key.to_str().unwrap();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(axum::http::HeaderMap, axum::body::Bytes)>::new()));
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |h: axum::http::HeaderMap, b: axum::body::Bytes| async move {
            sink.lock().unwrap().push((h, b));
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "webhook"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database", &db, "--secret-key-file", key]);
        casebook(&all)
    };
    let (ok, _, err) = admin(&["add", &url, "--kind", "case.opened"]);
    assert!(!ok && err.contains("allow-network"), "loopback is closed until opened: {err}");
    let (ok, _, err) = admin(&["allow-network", "127.0.0.1/40"]);
    assert!(!ok && err.contains("CIDR"), "{err}");
    let (ok, _, err) = admin(&["allow-network", "127.0.0.1"]);
    assert!(ok, "{err}");
    let (ok, networks, _) = admin(&["networks"]);
    assert!(ok && networks == "127.0.0.1/32", "{networks}");
    let (ok, _, err) = admin(&["add", &url, "--kind", "case.closed"]);
    assert!(!ok && err.contains("case.opened"), "{err}");
    let (ok, secret, err) = admin(&["add", &url, "--kind", "case.opened", "--description", "CRM"]);
    assert!(ok && secret.starts_with("whsec_") && err.contains("shown once"), "{secret} {err}");
    let (ok, list, _) = admin(&["list"]);
    assert!(ok && list.contains(&url) && list.contains("active") && !list.contains(&secret), "{list}");
    let sub = list.split_whitespace().next().unwrap().to_string();

    let (ok, token, err) =
        casebook(&["admin", "agent", "add", "anna", "--role", "agent", "--team", "support", "--database", &db]);
    assert!(ok, "{err}");
    let (ok, ingest, _) = casebook(&["admin", "ingest-token", "add", "shop", "--database", &db]);
    assert!(ok);
    let (_server, lines) =
        start(&["serve", "--listen", "127.0.0.1:0", "--database", &db, "--secret-key-file", key], "listening on");
    let base = lines.last().unwrap().rsplit(' ').next().unwrap().to_string();
    let r = post_events(
        &base,
        &ingest,
        "application/cloudevents+json",
        &json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "order.placed", "subject": "C-9"}),
    )
    .await;
    let customer = r["customer_id"].as_str().unwrap().to_string();
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(&token)
        .json(&json!({"customer_id": customer, "subject": "Order 9 never came", "channel": "chat"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let deadline = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no delivery came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (headers, body) = got.lock().unwrap()[0].clone();
    standardwebhooks::Webhook::new(&secret).unwrap().verify(&body, &headers).expect("signed with the secret shown");
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["type"], "casebook.case.opened");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ok, out, _) = admin(&["deliveries", &sub]);
        if ok && out.contains("delivered") {
            assert!(out.contains("case.opened"), "{out}");
            let delivery = out.split_whitespace().next().unwrap().to_string();
            let (ok, shown, _) = admin(&["show", &delivery]);
            assert!(ok && shown.contains("attempts_log") && shown.contains("Order 9 never came"), "{shown}");
            break;
        }
        assert!(Instant::now() < deadline, "never shown delivered: {out}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, _, err) = admin(&["pause", &sub]);
    assert!(ok && err.contains("paused"), "{err}");
    let (ok, _, err) = admin(&["remove", &sub]);
    assert!(ok, "{err}");
    let (ok, _, err) = admin(&["remove", &sub]);
    assert!(!ok && err.contains("no subscription"), "{err}");
}

#[tokio::test]
async fn rules_from_the_command_line_are_checked_tested_and_turned_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    // History with two failed payments a day apart: imported, it fires nothing.
    let when = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let ev = |id: &str, h: i64| {
        json!({"specversion": "1.0", "id": id, "source": "billing", "type": "com.acme.billing.payment_failed",
               "subject": "cus_9", "customername": "Noor Haddad", "time": when(h),
               "data": {"title": format!("Payment {id} failed: card declined")}})
        .to_string()
    };
    let history = dir.path().join("history.jsonl");
    std::fs::write(&history, [ev("p-1", 50), ev("p-2", 26)].join("\n")).unwrap();
    let (ok, out, err) = casebook(&["import", history.to_str().unwrap(), "--database", &db]);
    assert!(ok, "{out}{err}");

    let (ok, out, err) = casebook(&["rules", "list", "--database", &db]);
    assert!(ok, "{err}");
    let line = out.lines().find(|l| l.starts_with("payment-failure-repeated")).expect(&out);
    assert!(line.contains(" off ") && line.contains("built in"), "{line}");

    let (ok, out, err) = casebook(&["rules", "test", "payment-failure-repeated", "--since", "7d", "--database", &db]);
    assert!(ok, "{err}");
    assert!(out.contains("Noor Haddad  Payment p-2 failed"), "{out}");
    assert!(out.contains("would open a high case in billing"), "{out}");
    assert!(out.contains("would have fired 1 time on the 2 events") && out.contains("Nothing was done"), "{out}");
    let (ok, out, _) =
        casebook(&["rules", "test", "payment-failure-repeated", "--since", "7d", "--json", "--database", &db]);
    assert!(ok);
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((run["examined"].as_u64(), run["matched"].as_u64()), (Some(2), Some(1)), "{run}");

    // A rule with a mistake is refused with what to fix; nothing is stored.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[when]\nkind = \"payment_failed\"\n[[then]]\ndo = \"tag_customer\"\n").unwrap();
    let (ok, _, err) = casebook(&["rules", "add", "risky", bad.to_str().unwrap(), "--database", &db]);
    assert!(!ok);
    assert!(err.contains("tag"), "{err}");
    let (ok, _, err) = casebook(&["rules", "test", "risky", "--database", &db]);
    assert!(!ok && err.contains("no rule named `risky`"), "{err}");
    let (ok, _, err) =
        casebook(&["rules", "test", "payment-failure-repeated", "--since", "a while", "--database", &db]);
    assert!(!ok && err.contains("--since"), "{err}");

    // A file can be tried before it is stored, then stored and turned on.
    let good = dir.path().join("risky.toml");
    std::fs::write(&good, "[when]\nkind = \"payment_failed\"\n[[then]]\ndo = \"tag_customer\"\ntag = \"risk\"\n")
        .unwrap();
    let (ok, out, err) = casebook(&["rules", "test", good.to_str().unwrap(), "--database", &db]);
    assert!(ok, "{err}");
    assert!(out.contains("`risky` would have fired 2 times") && out.contains("would tag the customer “risk”"), "{out}");
    let (ok, _, err) = casebook(&["rules", "add", "risky", good.to_str().unwrap(), "--enable", "--database", &db]);
    assert!(ok && err.contains("Set rule `risky` (on)"), "{err}");
    let (ok, _, err) = casebook(&["rules", "enable", "payment-failure-repeated", "--database", &db]);
    assert!(ok && err.contains("is on"), "{err}");
    let (_, out, _) = casebook(&["rules", "list", "--database", &db]);
    assert!(out.lines().any(|l| l.starts_with("payment-failure-repeated") && l.contains(" on ")), "{out}");
    let (ok, out, _) = casebook(&["rules", "show", "risky", "--database", &db]);
    assert!(ok && out.contains("tag = \"risk\""), "{out}");
    // Turning a rule on does not act on the past.
    let (ok, out, _) = casebook(&["rules", "firings", "payment-failure-repeated", "--database", &db]);
    assert!(ok && out.is_empty(), "{out}");
    let (ok, _, err) = casebook(&["rules", "remove", "risky", "--database", &db]);
    assert!(ok, "{err}");
    let (ok, _, err) = casebook(&["rules", "remove", "risky", "--database", &db]);
    assert!(!ok && err.contains("no stored rule"), "{err}");
}

#[tokio::test]
async fn import_a_csv_through_a_mapping_and_a_zendesk_export_with_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cb.db").display());
    let csv = dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        "order_id;placed;customer;email;total\n1;2024-05-01 10:00;C-1;a@example.com;9,50\n2;2024-05-02;C-2;;12,00\n3;soon;C-3;;1\n",
    )
    .unwrap();
    let mapping = dir.path().join("orders.toml");
    std::fs::write(
        &mapping,
        "source = \"shop\"\nkind = \"order_placed\"\ndelimiter = \";\"\ntitle = \"Order {order_id}: €{total}\"\n[columns]\nid = \"order_id\"\ntime = \"placed\"\nsubject = \"customer\"\nemail = \"email\"\n",
    )
    .unwrap();
    let (csv, mapping) = (csv.to_str().unwrap(), mapping.to_str().unwrap());

    let (code, _, err) = casebook_code(&["import", csv, "--database", &db]);
    assert_eq!(code, Some(1));
    assert!(err.contains("needs --mapping FILE"), "{err}");
    let (code, out, err) = casebook_code(&["import", csv, "--mapping", mapping, "--dry-run", "--database", &db]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("row 3: `placed`: `soon` is not a time"), "{err}");
    assert!(out.contains("Checked 3 rows: 2 events would be imported, 1 row refused"), "{out}");
    let (code, out, err) = casebook_code(&["import", csv, "--mapping", mapping, "--database", &db]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("Imported 2 new events (0 were there already) from 3 rows"), "{out}");

    let export = dir.path().join("tickets.json");
    let ticket = json!({"id": 7, "subject": "Refund?", "status": "solved", "requester_id": 99, "created_at": "2024-02-01T09:00:00Z",
        "updated_at": "2024-02-01T12:00:00Z", "requester": {"email": "a@example.com", "name": "Ann"},
        "satisfaction_rating": {"score": "good"}});
    std::fs::write(&export, format!("{ticket}\n")).unwrap();
    let export = export.to_str().unwrap();
    for _ in 0..2 {
        let (ok, out, err) = casebook(&["import", export, "--format", "zendesk", "--cases", "--database", &db]);
        assert!(ok, "{out}{err}");
        assert!(out.contains("from 1 ticket"), "{out}");
    }
    let store = casebook::store::Store::open(&db).await.unwrap();
    let cases: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status = 'closed' AND resolution_outcome = 'positive'")
            .fetch_one(store.reader())
            .await
            .unwrap();
    assert_eq!(cases, 1, "one closed case however often the export is imported");
    // The ticket found the customer the CSV made, by email.
    let owners: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT customer_id) FROM events WHERE source IN ('shop', 'helpdesk') AND customer_id IN (SELECT customer_id FROM events WHERE source_event_id = '1')")
        .fetch_one(store.reader())
        .await
        .unwrap();
    assert_eq!(owners, 1);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE source = 'helpdesk'")
        .fetch_one(store.reader())
        .await
        .unwrap();
    assert_eq!(n, 2, "opened and solved");
    store.close().await;
}
