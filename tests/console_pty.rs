//! The real `casebook console` in a pseudo-terminal, against a real server on loopback: keys
//! typed as an agent would, the screen read back through a terminal emulator (vt100).

mod common;

use std::time::Duration;

use casebook::domain::agent::Role;
use common::pty::{fresh_home, login, sync_clean, Console, BIN};
use common::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_finds_a_customer_reads_the_timeline_and_quits() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let billing = s.ingest_token("billing").await;
    for (token, source, kind, id, day) in [
        (&shop, "shop", "order_placed", "o-1", "01"),
        (&billing, "billing", "payment_failed", "p-1", "02"),
        (&shop, "shop", "order_shipped", "o-2", "03"),
    ] {
        let mut event = common::ce(
            id,
            source,
            kind,
            "C-77",
            &format!("2026-05-{day}T10:00:00Z"),
            json!({"title": format!("{kind} {id}")}),
        );
        event["customername"] = json!("Zoe Quintero");
        event["customeremail"] = json!("zoe.q@example.com");
        assert_eq!(s.events(token, "application/cloudevents+json", event).await.status, 201);
    }

    let (home, env) = fresh_home();
    // Not signed in: a clear word on what to do, no console.
    let out = std::process::Command::new(BIN).envs(env.clone()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("casebook login"));
    // Signed in once; then `casebook` alone opens the console.
    let said = login(&env, &s.base, &token);
    assert!(said.contains("Signed in as anna (agent)"), "{said}");
    assert!(home.path().join("config/casebook/config.toml").is_file());
    let mut screen = Console::start(&[], &env, 24, 80);
    screen.wait_for("Cases · by due");
    screen.wait_for("● online");
    screen.keys("/");
    screen.wait_for("Find a customer");
    screen.keys("zoe");
    screen.wait_for("Zoe Quintero");
    screen.keys("\r");
    let text = screen.wait_for("Zoe Quintero · 3 events");
    assert!(text.contains("[shop]") && text.contains("[billing]") && text.contains("payment_failed p-1"), "{text}");
    // One event a day: no day headings, each row carries its date.
    assert!(text.contains("02 May 10:00") && !text.contains("── Saturday"), "dated rows: {text}");
    // The card, from the server: who she is and how to reach her.
    let text = screen.wait_for("Orders 90d");
    assert!(text.contains("Customer · i hides") && text.contains("✉ zoe.q@example.com"), "the card: {text}");
    screen.keys("i");
    let text = screen.wait_for_gone("Customer · i hides");
    assert!(text.contains("Zoe Quintero · 3 events"), "the card hidden, the timeline stays: {text}");
    screen.keys("i");
    screen.wait_for("Customer · i hides");
    screen.keys("s");
    let text = screen.wait_for("only billing");
    assert!(!text.contains("order_placed o-1"), "filtered to billing: {text}");
    screen.keys("s");
    screen.keys("s");
    screen.wait_for("Zoe Quintero · 3 events · all loaded");
    screen.keys("/ship\r");
    let text = screen.wait_for("/ship");
    assert!(
        text.contains("order_shipped o-2") && !text.contains("order_placed o-1"),
        "searched in the timeline: {text}"
    );
    screen.keys("/\u{1b}");
    screen.keys("?");
    screen.wait_for("Keys: Timeline");
    screen.keys("x");

    // Resized down to 40×12 and back: no panic, a whole screen again.
    screen.resize(12, 40);
    std::thread::sleep(Duration::from_millis(300));
    screen.resize(24, 80);
    screen.keys("j");
    screen.wait_for("Zoe Quintero · 3 events");
    assert!(screen.child.try_wait().unwrap().is_none(), "still running after the resizes");

    screen.keys("q");
    let status = screen.wait_exit();
    assert!(status.success(), "{status:?}");
    let (raw, alternate) = screen.finish();
    // The terminal is given back: alternate screen left, cursor shown, raw mode off (the
    // emulator is back on the main screen).
    assert!(raw.contains("\u{1b}[?1049l"), "left the alternate screen");
    assert!(raw.contains("\u{1b}[?25h"), "cursor shown again");
    assert!(!alternate);
    s.finish().await;
}

/// The whole live case with the server down — a new case, the four RASA steps with notes, a
/// note, resolved as negative, the proposed follow-up accepted — then the server back and
/// `casebook sync`: the server holds every step, note, resolution and follow-up exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_case_offline_then_synced_lands_once() {
    let mut s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (anna, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_home, env, stopped, mut c) = offline_on_maras_timeline(&mut s, &token).await;
    c.keys("n");
    c.wait_for("New case for Mara Costa");
    c.keys("\x13"); // Ctrl-s with no subject: refused in place
    c.wait_for("must not be empty");
    c.keys("Parcel never arrived");
    c.keys("\x13");
    c.wait_for("Case: Parcel never arrived");
    c.wait_for("Receive notes");
    // Receive, Appreciate, Summarize (starts from Receive's words), Ask.
    c.keys("\r");
    c.keys("It never came and nobody answers");
    c.keys("\x13");
    c.wait_for("Appreciate notes");
    c.keys("\r");
    c.keys("Thanked her for her patience");
    c.keys("\x13");
    c.wait_for("Summarize notes");
    c.wait_for("It never came and nobody answers");
    c.keys("\r");
    c.keys(": lost parcel, no answer");
    c.keys("\x13");
    c.wait_for("Ask notes");
    c.keys("\r");
    c.keys("Which address? The new one");
    c.keys("\x13");
    c.wait_for("RASA 4/4");
    // A note for the customer.
    c.keys("n");
    c.keys("We reship today by express");
    c.keys("\x14"); // Ctrl-t: visible to the customer
    c.wait_for("VISIBLE TO THE CUSTOMER");
    c.keys("\x13");
    c.wait_for("Note added");
    // Resolve as negative; the follow-up is proposed within minutes; accept it.
    c.keys("R");
    c.wait_for("Resolve the case");
    c.keys("Reshipped by express");
    c.keys("\t");
    c.keys("label torn\rno tape check");
    c.keys("\t");
    c.keys("\x1b[C\x1b[C\x1b[C");
    c.wait_for("negative");
    c.keys("\x13");
    c.wait_for("Proposed: the experience was negative");
    c.wait_for("in 10 minutes");
    c.keys("\x13");
    c.wait_for("Follow-up due in 10m");
    let text = c.wait_for("Resolved · negative");
    assert!(text.contains("OFFLINE") && text.contains("waiting"), "{text}");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();

    // The server is back; one sync round.
    s.serve_again(stopped).await;
    let out = std::process::Command::new(BIN).arg("sync").envs(env.clone()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&out.stderr));

    let cases = s.get("/api/v1/cases?assignee=me", &token).await;
    let cases = cases.json["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 1, "one case: {cases:?}");
    let id = cases[0]["id"].as_str().unwrap();
    let case = s.get(&format!("/api/v1/cases/{id}"), &token).await.json;
    assert_eq!(case["subject"], "Parcel never arrived");
    assert_eq!(case["assignee_id"], anna.id.to_string());
    assert_eq!(case["status"], "resolved");
    assert_eq!(case["resolution"]["outcome"], "negative");
    assert_eq!(case["resolution"]["summary"], "Reshipped by express");
    assert_eq!(case["resolution"]["root_cause"], json!(["label torn", "no tape check"]));
    assert_eq!(case["rasa"]["complete"], true);
    let notes: Vec<&str> =
        case["rasa"]["steps"].as_array().unwrap().iter().map(|s| s["notes"].as_str().unwrap()).collect();
    assert_eq!(
        notes,
        [
            "It never came and nobody answers",
            "Thanked her for her patience",
            "It never came and nobody answers: lost parcel, no answer",
            "Which address? The new one"
        ]
    );
    assert_eq!(case["notes"].as_array().unwrap().len(), 1);
    assert_eq!(case["notes"][0]["body"], "We reship today by express");
    assert_eq!(case["notes"][0]["visibility"], "customer");
    let followups = case["followups"].as_array().unwrap();
    assert_eq!(followups.len(), 1, "{followups:?}");
    assert_eq!(followups[0]["status"], "open");
    // Exactly once: four RASA entries, one of each kind of change, in the change feed.
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rasa_entries WHERE case_id = $1")
        .bind(id)
        .fetch_one(s.store.reader())
        .await
        .unwrap();
    assert_eq!(entries, 4);
    // A second sync has nothing to do.
    let out = std::process::Command::new(BIN).arg("sync").envs(env.clone()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));

    // The handover, from the server: Markdown and JSON.
    let export = |format: &str| {
        let out = std::process::Command::new(BIN)
            .args(["export", "case", id, "--format", format])
            .envs(env.clone())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (md, _) = export("md");
    for part in [
        "# Case handover: Parcel never arrived",
        "**Customer:** Mara Costa",
        "4 of 4 steps done.",
        "  > It never came and nobody answers: lost parcel, no answer",
        "**Outcome:** negative",
        "**Root cause:** label torn → no tape check",
        "from the server",
        "We reship today by express",
        "[shop] Order 9",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
    let (json_text, _) = export("json");
    let h: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!((h["source"].as_str(), h["followups"].as_array().unwrap().len()), (Some("server"), 1));
    // With the server down, from this computer, saying so.
    let stopped = s.stop_serving().await;
    let (md, said) = export("md");
    assert!(md.contains("from this computer") && md.contains("4 of 4 steps done."), "{md}");
    assert!(said.contains("could not be reached"), "{said}");
    s.serve_again(stopped).await;
    s.finish().await;
}

/// What the agent types survives a kill: drafts are saved within a second. And another agent
/// opening the same case shows in its header, live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_survives_a_kill_and_another_agent_on_the_case_shows() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, ben) = s.agent("ben", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-5").await;
    let case = s.post("/api/v1/cases", &token, json!({"customer_id": customer, "subject": "Kettle leaks"})).await;
    assert_eq!(case.status, 201);
    let case_id = case.json["id"].as_str().unwrap().to_string();

    let (_home, env) = fresh_home();
    login(&env, &s.base, &token);

    let mut c = Console::start(&[], &env, 30, 100);
    c.wait_for("Kettle leaks");
    c.keys("\r");
    c.wait_for("Receive notes");
    c.keys("\r");
    c.keys("She said the base cracked after a week");
    c.wait_for("the base cracked");
    std::thread::sleep(Duration::from_millis(1_200));
    let pid = c.child.process_id().expect("a pid");
    assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
    c.wait_exit();
    c.finish();

    let mut c = Console::start(&[], &env, 30, 100);
    c.wait_for("Kettle leaks");
    c.keys("\r");
    let text = c.wait_for("Receive notes");
    assert!(text.contains("She said the base cracked after a week"), "the draft is back:\n{text}");
    // Ben opens the case too: Anna's header says so within a heartbeat.
    let r = s.put(&format!("/api/v1/cases/{case_id}/presence"), &ben, json!(null)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["present"][0]["name"], "anna", "ben sees anna");
    let beat = tokio::spawn({
        let (client, base, ben, case_id) = (s.client.clone(), s.base.clone(), ben.clone(), case_id.clone());
        async move {
            for _ in 0..20 {
                let _ = client.put(format!("{base}/api/v1/cases/{case_id}/presence")).bearer_auth(&ben).send().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    c.wait_for("also here now: ben");
    beat.abort();
    // A note saved and the console quit at once: the note is recorded before it exits.
    c.keys("n");
    c.keys("Called back, no answer");
    c.keys("\x13q");
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&env);
    assert_eq!(s.note_bodies(&case_id, &token).await, ["Called back, no answer"]);
    s.finish().await;
}

/// A lead sees which queue is in trouble and fixes it from the console: the breached case goes
/// to the least loaded agent, and that agent's home shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_reassigns_a_breached_case_and_the_agent_sees_it() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, anna_t) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, bruno_t) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lena_t) = s.agent("lena", Role::Lead, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-3").await;
    for subject in ["Parcel lost twice", "Wrong colour"] {
        let r = s.post("/api/v1/cases", &bruno_t, json!({"customer_id": customer, "subject": subject})).await;
        assert_eq!(r.status, 201);
    }
    // "Parcel lost twice" has waited past both due times.
    let cases = s.get("/api/v1/cases?assignee=me", &bruno_t).await.json;
    let lost = cases["cases"].as_array().unwrap().iter().find(|c| c["subject"] == "Parcel lost twice").unwrap().clone();
    let past = casebook::domain::time::to_micros(casebook::domain::time::now()) - 3_600_000_000;
    let mut tx = s.store.begin_write().await.unwrap();
    sqlx::query("UPDATE cases SET first_response_due = ?1, resolution_due = ?1 WHERE id = ?2")
        .bind(past)
        .bind(lost["id"].as_str().unwrap().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (_lena_home, lena_env) = fresh_home();
    login(&lena_env, &s.base, &lena_t);
    let mut c = Console::start(&[], &lena_env, 30, 120);
    c.wait_for("● online");
    c.keys("?");
    c.wait_for("lead: queues");
    c.keys("x");
    c.keys("Q");
    let text = c.wait_for("General");
    assert!(text.contains("BREACHED"), "{text}");
    c.keys("\r");
    c.wait_for("Parcel lost twice");
    c.keys("s"); // breached only
    let text = c.wait_for("only breached");
    assert!(!text.contains("Wrong colour"), "{text}");
    c.keys("a");
    let text = c.wait_for("least loaded first");
    let picker = &text[text.find("least loaded first").unwrap()..];
    let anna_at = picker.find("anna ").expect("anna offered");
    let bruno_at = picker.find("bruno ").expect("bruno offered");
    assert!(anna_at < bruno_at, "anna (nothing waiting) before bruno:\n{text}");
    c.keys("\r");
    c.wait_for("1 case(s) changed.");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();

    let (_anna_home, anna_env) = fresh_home();
    login(&anna_env, &s.base, &anna_t);
    let mut c = Console::start(&[], &anna_env, 24, 100);
    c.wait_for("Parcel lost twice");
    let text = c.text();
    assert!(!text.contains("Wrong colour"), "bruno keeps the other:\n{text}");
    c.keys("?");
    let text = c.wait_for("Keys: Home");
    assert!(!text.contains("lead:"), "no lead keys for an agent:\n{text}");
    c.keys("x");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();
    s.finish().await;
}

/// Notes written one after another at full speed — whole key sequences with no pauses, text
/// with emoji and right-to-left script — each land exactly as typed, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_notes_at_full_speed_lands_exactly_as_typed() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-45").await;
    let case = s.post("/api/v1/cases", &token, json!({"customer_id": customer, "subject": "Many notes"})).await;
    assert_eq!(case.status, 201);
    let case_id = case.json["id"].as_str().unwrap().to_string();

    let (_home, env) = fresh_home();
    login(&env, &s.base, &token);
    let mut c = Console::start(&[], &env, 30, 100);
    c.wait_for("Many notes");
    c.keys("\r");
    c.wait_for("Receive notes");
    let notes: Vec<String> = (1..=45)
        .map(|i| match i % 3 {
            0 => format!("P{i}a 📦 arrived"),
            1 => format!("Q{i}b שלום עליכם"),
            _ => format!("R{i}c plain"),
        })
        .collect();
    let mut burst = String::new();
    for n in &notes {
        burst.push('n');
        burst.push_str(n);
        burst.push('\x13');
    }
    burst.push('q');
    c.keys(&burst);
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&env);
    let mut stored = s.note_bodies(&case_id, &token).await;
    let mut expected = notes.clone();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "every note once, exactly as typed");
    s.finish().await;
}

/// A 100 KB paste, with Esc and Ctrl keys inside, into customer search and into a note: it
/// is text (nothing in it acts as a key), the search is capped with a word saying so, memory
/// stays flat; the screen is cleared on start, so nothing an earlier program left shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_paste_is_text_capped_and_memory_stays_flat() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-8").await;
    let case = s.post("/api/v1/cases", &token, json!({"customer_id": customer, "subject": "Pasted things"})).await;
    let case_id = case.json["id"].as_str().unwrap().to_string();
    let (_home, env) = fresh_home();
    login(&env, &s.base, &token);
    let mut c = Console::start(&[], &env, 30, 100);
    c.wait_for("Pasted things");
    assert!(String::from_utf8_lossy(&c.raw.lock().unwrap()).contains("\u{1b}[2J"), "the screen is cleared on start");
    let pid = c.child.process_id().expect("a pid");
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    let before = rss().unwrap_or(0);
    let mut big = String::new();
    while big.len() < 100_000 {
        big.push_str("anna \u{1}\u{1b}q[x] ");
    }
    c.keys("/");
    c.wait_for("Find a customer");
    c.keys(&format!("\u{1b}[200~{big}\u{1b}[201~"));
    c.wait_for("A search takes up to 200 characters");
    std::thread::sleep(Duration::from_millis(500));
    assert!(c.child.try_wait().unwrap().is_none(), "a pasted q or Esc does not quit");
    let after = rss().unwrap_or(0);
    assert!(after < before + 50_000, "memory stays flat: {before} kB before, {after} kB after");
    let text = c.text();
    assert!(!text.contains("too complex"), "{text}");

    // Into a note: the paste is the note's text, the editor still open; Ctrl-s then adds it.
    c.keys("\u{1b}\u{1b}");
    c.wait_for("Cases · by due");
    c.keys("\r");
    c.wait_for("Receive notes");
    c.keys("n");
    c.keys("\u{1b}[200~first line\r\nsecond \u{1b}line 📦\u{1b}[201~");
    c.keys("\x13q");
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&env);
    assert_eq!(s.note_bodies(&case_id, &token).await, ["first line\nsecond line 📦"]);
    s.finish().await;
}

/// `casebook login` reads the token without showing it; `casebook --theme light` opens the
/// console (as README.md says); the console's log and local store are private to the user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_hides_the_token_and_the_console_keeps_its_files_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let (home, env) = fresh_home();
    let mut c = Console::start(&["login", "--server", &s.base], &env, 24, 100);
    c.wait_for("not shown as you type");
    c.keys(&format!("{token}\r"));
    assert!(c.wait_exit().success());
    let (raw, _) = c.finish();
    assert!(raw.contains("Signed in as anna"), "{raw}");
    assert!(!raw.contains(&token), "the token was echoed: {raw}");

    let mut c = Console::start(&["--theme", "light"], &env, 24, 100);
    c.wait_for("Cases · by due");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = home.path().join("data/casebook");
    assert_eq!(mode(&data.join("console.log")), 0o600, "console.log");
    let local = data.join("local");
    assert_eq!(mode(&local), 0o700, "{}", local.display());
    for dir in std::fs::read_dir(&local).unwrap() {
        let dir = dir.unwrap().path();
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    s.finish().await;
}

/// Mara Costa, known to the shop, is looked up once online (so this computer has her, her card,
/// the team and its macros); then the server stops and a console opens offline on her timeline.
/// Mara Costa, known to the shop by one event of `kind` with `data`; an agent signed in with
/// `token` in a fresh home, the console online on her timeline.
async fn on_maras_timeline(
    s: &TestServer,
    token: &str,
    kind: &str,
    data: serde_json::Value,
) -> (tempfile::TempDir, Vec<(&'static str, std::path::PathBuf)>, Console) {
    let shop = s.ingest_token("shop").await;
    let mut event = common::ce("o-9", "shop", kind, "C-9", "2026-05-01T10:00:00Z", data);
    event["customername"] = json!("Mara Costa");
    assert_eq!(s.events(&shop, "application/cloudevents+json", event).await.status, 201);
    let (home, env) = fresh_home();
    login(&env, &s.base, token);
    let mut c = Console::start(&[], &env, 40, 140);
    c.wait_for("● online");
    c.keys("/mara");
    c.wait_for("Mara Costa");
    c.keys("\r");
    c.wait_for("Mara Costa · 1 events");
    (home, env, c)
}

async fn offline_on_maras_timeline(
    s: &mut TestServer,
    token: &str,
) -> (tempfile::TempDir, Vec<(&'static str, std::path::PathBuf)>, common::Stopped, Console) {
    let (home, env, mut c) = on_maras_timeline(s, token, "order_placed", json!({"title": "Order 9"})).await;
    c.wait_for("Orders 90d");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();

    let stopped = s.stop_serving().await;
    let mut c = Console::start(&[], &env, 40, 120);
    c.wait_for("OFFLINE");
    c.keys("/mara");
    c.wait_for("offline: customers seen before");
    c.keys("\r");
    c.wait_for("Mara Costa · 1 events");
    (home, env, stopped, c)
}

/// The agent's desk, offline: a case worked with a team macro (its text filled from the case,
/// the case set pending with a follow-up), a status change, a tag, a snooze and a hand-over
/// with its note — all from the keyboard at full speed with the server down; one sync lands it all once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_worked_from_the_agents_desk_offline_then_synced() {
    let mut s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (anna, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let (bruno, _) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let sorry = json!({"name": "delay-sorry", "title": "Sorry for the delay", "language": "en",
        "text": "Sorry {customer.first_name}, I'll call you tomorrow.", "set_status": "pending", "follow_up": "1d"});
    assert_eq!(s.post("/api/v1/macros", &admin, sorry).await.status, 200);
    let (_home, env, stopped, mut c) = offline_on_maras_timeline(&mut s, &token).await;
    c.keys("n");
    c.wait_for("New case for Mara Costa");
    c.keys("Parcel never arrived\x13");
    c.wait_for("Case: Parcel never arrived");
    // The team's macro from the palette: filled in the note, the case pending, a follow-up.
    c.keys(":sorry\r");
    c.wait_for("Sorry Mara, I'll call you tomorrow.");
    c.wait_for("follow-up due in 1d");
    c.keys("\x13");
    c.wait_for("Note added");
    // Status back to open, then a snooze for an hour: pending again, a follow-up to bring it back.
    c.keys("s\r");
    c.wait_for("Status: open");
    // A tag, found by typing part of it.
    c.keys("trefund\r");
    c.wait_for("Tagged #refund-promised");
    c.keys("z\r");
    c.wait_for("Snoozed until");
    // Handed over to bruno with a word on why.
    c.keys("o");
    c.wait_for("bruno (agent)");
    c.keys("\r");
    c.wait_for("Handed over to bruno:");
    c.keys("he knows the carrier\x13");
    let text = c.wait_for("Note added");
    assert!(text.contains("OFFLINE"), "{text}");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();

    s.serve_again(stopped).await;
    let out = std::process::Command::new(BIN).arg("sync").envs(env.clone()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&out.stderr));
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let cases = s.get(&format!("/api/v1/cases?assignee={}", bruno.id), &lead).await.json;
    let cases = cases["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = s.get(&format!("/api/v1/cases/{}", cases[0]["id"].as_str().unwrap()), &lead).await.json;
    assert_eq!(case["status"], "pending", "{case}");
    assert_eq!(case["tags"], json!(["refund-promised"]));
    assert_eq!(case["created_by"], anna.id.to_string());
    let notes: Vec<&str> = case["notes"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(notes, ["Sorry Mara, I'll call you tomorrow.", "Handed over to bruno: he knows the carrier"]);
    let mut dues: Vec<&str> =
        case["followups"].as_array().unwrap().iter().map(|f| f["note"].as_str().unwrap()).collect();
    dues.sort();
    assert_eq!(dues, ["Snoozed: pick up “Parcel never arrived” again", "Sorry for the delay"], "{case}");
    sync_clean(&env);
}

/// Online, at full speed: an event's details are read when opened; a new case's knowledge base
/// offers the article its subject and the customer's events fit (the case is not on the server
/// yet: the console's own words find it), and its link goes into the note, synced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_base_answers_a_new_case_and_its_link_goes_into_the_note() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    for (slug, title, body, url) in [
        (
            "parcel-stuck",
            "A parcel stuck at the depot",
            "Open a trace with the carrier.",
            "https://help.example.com/parcel",
        ),
        ("refunds", "How refunds work", "Five working days to the card.", "https://help.example.com/refunds"),
    ] {
        let a = json!({"slug": slug, "title": title, "summary": body, "body": body, "url": url, "language": "en"});
        assert_eq!(s.post("/api/v1/articles", &admin, a).await.status, 200);
    }
    let (_home, env, mut c) = on_maras_timeline(
        &s,
        &token,
        "order_shipped",
        json!({"title": "Order 9 shipped", "body": "Carrier scan: depot Milano", "total": 129}),
    )
    .await;
    // The details: read from the server when opened.
    c.keys("\r");
    c.wait_for("\"total\": 129");
    c.wait_for("Carrier scan: depot Milano");
    c.keys("\rn");
    c.wait_for("New case for Mara Costa");
    c.keys("Stuck parcel\x13");
    c.wait_for("Case: Stuck parcel");
    c.keys("a");
    c.wait_for("Fits the case by: stuck, parcel, order, shipped");
    let screen = c.wait_for("A parcel stuck at the depot");
    assert!(!screen.contains("How refunds work"), "only what fits: {screen}");
    c.keys("\r");
    c.wait_for("Open a trace with the carrier.");
    c.keys("l");
    c.wait_for("is in the note");
    c.keys("\x13");
    c.wait_for("Note added");
    c.keys("r");
    c.wait_for("synced");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&env);
    let cases = s.get("/api/v1/cases", &admin).await.json;
    let id = cases["cases"][0]["id"].as_str().unwrap().to_string();
    let case = s.get(&format!("/api/v1/cases/{id}"), &admin).await.json;
    let notes: Vec<&str> = case["notes"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(notes, ["A parcel stuck at the depot — https://help.example.com/parcel"]);
}

/// A lead scores a resolved case from the closed-cases list — keys at full speed, the RASA
/// notes beside each criterion — and the agent sees the review in their console and
/// acknowledges it; both reach the server once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_scores_a_case_and_the_agent_sees_and_acknowledges_it() {
    let s = TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, anna_t) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lena_t) = s.agent("lena", Role::Lead, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-4").await;
    let r = s.post("/api/v1/cases", &anna_t, json!({"customer_id": customer, "subject": "Charged twice"})).await;
    let case_id = r.json["id"].as_str().unwrap().to_string();
    for (step, notes) in [
        ("receive", "\"Two charges, nobody answers\""),
        ("appreciate", "Thanked her for the screenshots"),
        ("summarize", "Two charges of 49 EUR; wants one back"),
        ("ask", "Which card? Which day?"),
    ] {
        let path = format!("/api/v1/cases/{case_id}/rasa/{step}");
        assert_eq!(s.put(&path, &anna_t, json!({"notes": notes, "done": true})).await.status, 200);
    }
    let rev = s.get(&format!("/api/v1/cases/{case_id}"), &anna_t).await.json["revision"].as_i64().unwrap();
    let r = s
        .put(
            &format!("/api/v1/cases/{case_id}/resolution"),
            &anna_t,
            json!({"revision": rev, "summary": "Refunded the second charge", "root_cause": ["Checkout retried"], "outcome": "positive"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);

    let (_lena_home, lena_env) = fresh_home();
    login(&lena_env, &s.base, &lena_t);
    let mut c = Console::start(&[], &lena_env, 30, 120);
    c.wait_for("● online");
    c.keys("Q");
    c.wait_for("General");
    c.keys("L");
    c.wait_for("Charged twice");
    c.keys("S");
    let text = c.wait_for("Which card? Which day?");
    assert!(text.contains("Score: Charged twice"), "{text}");
    // Every criterion full marks, a coaching note with emoji, recorded: one burst.
    c.keys("fffffff\tSummarise before refunding 🙂\x1b\x13");
    c.wait_for("Scored 100 %");
    // Back on the list, the case shows its score (waiting to sync until the server has it).
    c.keys("\x1b");
    c.wait_for("100 %");
    c.keys("q");
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&lena_env);
    let reviews = s.get(&format!("/api/v1/cases/{case_id}/reviews"), &lena_t).await.json;
    let list = reviews["reviews"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{reviews}");
    assert_eq!(
        (list[0]["percent"].as_f64(), &list[0]["coaching"]),
        (Some(100.0), &json!("Summarise before refunding 🙂"))
    );

    let (_anna_home, anna_env) = fresh_home();
    login(&anna_env, &s.base, &anna_t);
    let mut c = Console::start(&[], &anna_env, 24, 100);
    c.wait_for("● online");
    c.wait_for("1 review to answer (V)");
    c.keys("V");
    let text = c.wait_for("Summarise before refunding");
    assert!(text.contains("100 %") && text.contains("to answer"), "{text}");
    c.keys("a");
    c.wait_for("Answered");
    c.keys("\x1bq");
    assert!(c.wait_exit().success());
    c.finish();
    sync_clean(&anna_env);
    let mine = s.get("/api/v1/reviews/mine", &anna_t).await.json;
    assert_eq!(mine["reviews"][0]["answer"], json!({"state": "acknowledged"}), "{mine}");
    s.finish().await;
}
