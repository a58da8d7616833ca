//! The real `casebook console` in a pseudo-terminal, against a real server on loopback: keys
//! typed as an agent would, the screen read back through a terminal emulator (vt100).

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use casebook::domain::agent::Role;
use common::TestServer;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_casebook");

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `what` (the console answers asynchronously).
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            assert!(Instant::now() < deadline, "the screen never showed `{what}`; it shows:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

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

    let home = tempfile::tempdir().unwrap();
    let env = [
        ("HOME", home.path().to_path_buf()),
        ("XDG_DATA_HOME", home.path().join("data")),
        ("XDG_CONFIG_HOME", home.path().join("config")),
    ];
    // Not signed in: a clear word on what to do, no console.
    let out = std::process::Command::new(BIN).envs(env.clone()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("casebook login"));
    // Signed in once; then `casebook` alone opens the console.
    let out = std::process::Command::new(BIN)
        .args(["login", "--server", &s.base, "--token", &token])
        .envs(env.clone())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("Signed in as anna (agent)"), "{said}");
    assert!(home.path().join("config/casebook/config.toml").is_file());

    let pty = native_pty_system();
    let pair = pty.openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut keys = pair.master.take_writer().unwrap();
    let screen = Screen { parser: Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0))), raw: Arc::default() };
    let (parser, raw) = (screen.parser.clone(), screen.raw.clone());
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.lock().unwrap().process(&buf[..n]);
            raw.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut type_keys = |k: &str| {
        keys.write_all(k.as_bytes()).unwrap();
        keys.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    };

    screen.wait_for("My open cases");
    screen.wait_for("● online");
    type_keys("/");
    screen.wait_for("Find a customer");
    type_keys("zoe");
    screen.wait_for("Zoe Quintero");
    type_keys("\r");
    let text = screen.wait_for("Zoe Quintero · 3 events");
    assert!(text.contains("[shop]") && text.contains("[billing]") && text.contains("payment_failed p-1"), "{text}");
    assert!(text.contains("── "), "day headings: {text}");
    type_keys("s");
    let text = screen.wait_for("only billing");
    assert!(!text.contains("order_placed o-1"), "filtered to billing: {text}");
    type_keys("s");
    type_keys("s");
    screen.wait_for("Zoe Quintero · 3 events · all loaded");
    type_keys("/ship\r");
    let text = screen.wait_for("/ship");
    assert!(
        text.contains("order_shipped o-2") && !text.contains("order_placed o-1"),
        "searched in the timeline: {text}"
    );
    type_keys("/\u{1b}");
    type_keys("?");
    screen.wait_for("Keys: Timeline");
    type_keys("x");

    // Resized down to 40×12 and back: no panic, a whole screen again.
    pair.master.resize(PtySize { rows: 12, cols: 40, pixel_width: 0, pixel_height: 0 }).unwrap();
    screen.parser.lock().unwrap().set_size(12, 40);
    std::thread::sleep(Duration::from_millis(300));
    pair.master.resize(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    screen.parser.lock().unwrap().set_size(24, 80);
    type_keys("j");
    screen.wait_for("Zoe Quintero · 3 events");
    assert!(child.try_wait().unwrap().is_none(), "still running after the resizes");

    type_keys("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "the console did not quit on q");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    drop(pair.master);
    let _ = reading.join();
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).to_string();
    // The terminal is given back: alternate screen left, cursor shown, raw mode off (the
    // emulator is back on the main screen).
    assert!(raw.contains("\u{1b}[?1049l"), "left the alternate screen");
    assert!(raw.contains("\u{1b}[?25h"), "cursor shown again");
    assert!(!screen.parser.lock().unwrap().screen().alternate_screen());
    s.finish().await;
}
