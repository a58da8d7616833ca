//! Contract fuzzing: schemathesis draws requests from the served OpenAPI document — valid ones
//! and ones the document forbids — and sends them to a real server on loopback over a seeded
//! database, as an admin. It fails on any 5xx, any answer that does not match the document
//! (status, content type, headers, body), any request the document allows that the server
//! refuses for its shape (400/422), and any request the document forbids that the server takes.
//! Rules JSON Schema cannot state are kept in `tests/contract/hooks.py`.
//!
//! schemathesis comes from pip (`.ci/run` installs it); without it this test says it skipped.
//! `CASEBOOK_FUZZ_EXAMPLES` sets how many requests it draws per operation (default 25) and
//! `CASEBOOK_FUZZ_SEED` the seed (default fixed, so that CI runs the same requests each time).

mod common;

use std::process::Command;

use casebook::commands::seed::{default_anchor, seed, SeedOptions};
use casebook::domain::agent::Role;
use common::{Backend, TestServer};

/// The schemathesis command: `CASEBOOK_SCHEMATHESIS`, else `schemathesis` on the PATH.
fn schemathesis() -> Option<String> {
    let cmd = std::env::var("CASEBOOK_SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    Command::new(&cmd).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| cmd)
}

async fn fuzz(backend: Backend) {
    let Some(cmd) = schemathesis() else {
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis, or set CASEBOOK_SCHEMATHESIS), so the contract fuzzing did not run");
        return;
    };
    // No deliverer: the subscriptions drawn here name public hosts, and tests reach loopback only.
    let options = casebook::server::ServeOptions { deliveries: None, ..Default::default() };
    let Some(s) = TestServer::start_with(backend, options).await else { return };
    seed(&s.store, &SeedOptions { customers: 30, events_per_customer: 8, seed: 7, anchor: default_anchor() }, |_| {})
        .await
        .expect("seed");
    let (_, token) = s.agent("root", Role::Admin, &["support", "billing"]).await;
    let examples = std::env::var("CASEBOOK_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".into());
    let fuzz_seed = std::env::var("CASEBOOK_FUZZ_SEED").unwrap_or_else(|_| "20261202".into());
    let here = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/contract");
    let reports = tempfile::tempdir().expect("temp dir");
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(cmd)
            .args(["--config-file", &format!("{here}/schemathesis.toml"), "run"])
            .arg(format!("{base}/api/v1/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all", "--max-examples", &examples, "--seed", &fuzz_seed, "--workers", "1"])
            .args(["--no-color", "--report-dir"])
            .arg(reports.path())
            // Its example cache goes into the temp dir, not the checkout.
            .current_dir(reports.path())
            .env("PYTHONPATH", here)
            .env("SCHEMATHESIS_HOOKS", "hooks")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("schemathesis task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> =
        stdout.lines().skip_while(|l| !l.contains("SUMMARY")).filter(|l| !l.trim().is_empty()).collect();
    eprintln!("contract fuzzing on {backend:?}:\n{}", summary.join("\n"));
    assert!(
        out.status.success(),
        "schemathesis found requests where the server and its OpenAPI document disagree:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_its_openapi_document_on_sqlite() {
    fuzz(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_its_openapi_document_on_postgres() {
    fuzz(Backend::Postgres).await;
}
