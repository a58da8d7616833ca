//! `casebook bench home`: opening the console's home with 1,000 cases in the local store (the
//! agent's and the team's unassigned ones, 20 changed offline and waiting to sync, their
//! customers cached): the local store's answer (`load_home`, what the console runs), then
//! home's state and a frame at 160×48 — cold (the first read after opening the store) and warm.
//! The floor, in the same run: reading the same cases' rows alone with one SQLite query.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use uuid::Uuid;

use crate::console::app::{update, App, Msg, Tz};
use crate::console::theme::Theme;
use crate::domain::agent::{Agent, Role};
use crate::domain::case::{new_case, CaseStatus, Priority};
use crate::domain::customer::Customer;
use crate::local::LocalStore;
use crate::wire::requests::{NewCaseRequest, PatchCaseRequest};

#[derive(Args, Clone)]
pub struct HomeBenchArgs {
    /// Cases in the local store
    #[arg(long, default_value_t = 1_000)]
    cases: usize,
    /// Warm openings measured
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

fn p50(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

pub async fn run(args: HomeBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("making a temp folder")?;
    let path = dir.path().join("anna.db");
    let now = Utc::now();
    let me = Agent::new("anna", Role::Agent, &["support"], now);
    {
        let store = LocalStore::open(&path).await?;
        store.set_me(&me).await?;
        let mut customers = Vec::new();
        let mut tx = store.begin().await?;
        let mut ids = Vec::new();
        for i in 0..args.cases {
            let customer = Customer::named(Uuid::now_v7(), &format!("Customer {i}"), now);
            let mut req = NewCaseRequest::new(customer.id, &format!("Case {i}: parcel, refund or login"));
            req.priority = Some(Priority::ALL[i % Priority::ALL.len()]);
            let mut case = new_case(&me, Uuid::now_v7(), &req, now - chrono::Duration::minutes(i as i64 * 7))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if i % 4 == 3 {
                case.assignee_id = None;
            }
            case.status = [CaseStatus::New, CaseStatus::Open, CaseStatus::Pending][i % 3];
            crate::local::confirmed::put_case(&mut tx, &case).await?;
            ids.push((case.id, case.revision));
            customers.push(customer);
        }
        tx.commit().await?;
        store.cache_customers(&customers).await?;
        for (id, revision) in ids.iter().step_by(args.cases.max(20) / 20).take(20) {
            let change = PatchCaseRequest {
                revision: *revision,
                status: None,
                priority: Some(Priority::Urgent),
                assignee_id: None,
                tags: None,
                queue: None,
            };
            store.change_case(*id, change).await?;
        }
        store.close().await;
    }
    println!("casebook bench home: {} cases in the local store (20 changed offline), home at 160x48", args.cases);
    let (theme, _) = Theme::load("default", None, false);
    let store = LocalStore::open(&path).await?;
    let open_home = || async {
        let data = crate::console::run::load_home(&store, me.id).await;
        let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), Tz::default());
        (app.me_id, app.teams) = (me.id, me.teams.clone());
        update(&mut app, Msg::Home(Box::new(data)));
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("a test terminal");
        term.draw(|f| crate::console::draw::draw(f, &app, &theme)).expect("a frame");
        app.home.cases.len()
    };
    let t = Instant::now();
    let shown = open_home().await;
    let cold = t.elapsed().as_secs_f64() * 1000.0;
    let mut warm = Vec::new();
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        open_home().await;
        warm.push(t.elapsed());
    }
    let mut floor = Vec::new();
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let rows: Vec<String> = sqlx::query_scalar("SELECT body FROM cases WHERE status IN ('new', 'open', 'pending')")
            .fetch_all(store.reader())
            .await?;
        std::hint::black_box(rows);
        floor.push(t.elapsed());
    }
    let (warm, floor) = (p50(warm), p50(floor));
    println!("floor: the cases' rows, one query     p50 {floor:>8.2} ms");
    println!("home on screen, cold (first read)          {cold:>8.2} ms  ({shown} of my cases in view)");
    println!("home on screen, warm                  p50 {warm:>8.2} ms  ({:.1}× the floor)", warm / floor);
    store.close().await;
    Ok(())
}
