//! Sync under faults: a property test over random schedules of local writes, sync rounds
//! through a fault-injecting proxy (requests dropped or cut, answers lost after the server
//! committed or cut, requests duplicated or delayed) and the console restarted between its
//! writes and its pushes. Whatever the schedule: every operation is applied exactly once, and
//! after clean rounds the console and the server agree.

mod common;

use casebook::casework::{
    NewCaseRequest, NewFollowUpRequest, NewNoteRequest, PatchCaseRequest, PatchFollowUpRequest, RasaStepRequest,
};
use casebook::client::sync::sync_round;
use casebook::client::ApiClient;
use casebook::domain::agent::Role;
use casebook::domain::case::CaseStatus;
use casebook::domain::followup::FollowUpStatus;
use casebook::domain::rasa::RasaStep;
use casebook::local::LocalStore;
use common::proxy::{Fault, FaultProxy};
use common::{Backend, TestServer};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Step {
    Note,
    Rasa(usize, bool),
    /// To `open` (true) or `pending`.
    Status(bool),
    FollowUp,
    FollowUpDone,
    /// A sync round whose requests meet these faults, in order.
    Round(Vec<Fault>),
    /// The console killed and started again (the local store closed and reopened).
    Restart,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Pass),
        1 => Just(Fault::DropRequest),
        1 => Just(Fault::CutRequest),
        2 => Just(Fault::DropResponse),
        1 => Just(Fault::CutResponse),
        2 => Just(Fault::Duplicate),
        1 => (1u64..30).prop_map(Fault::Delay),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Note),
        2 => (0..4usize, any::<bool>()).prop_map(|(s, d)| Step::Rasa(s, d)),
        1 => any::<bool>().prop_map(Step::Status),
        1 => Just(Step::FollowUp),
        1 => Just(Step::FollowUpDone),
        3 => vec(fault(), 0..6).prop_map(Step::Round),
        1 => Just(Step::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn every_operation_applies_once_and_both_sides_agree(steps in vec(step(), 1..24)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run(steps));
    }
}

/// What the console recorded, to check the server against.
#[derive(Default)]
struct Made {
    ops: i64,
    notes: i64,
    entries: i64,
    followups: i64,
}

async fn run(steps: Vec<Step>) {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer: Uuid = s.customer(&admin, "C-1").await.parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anna.db");
    let mut store = LocalStore::open(&path).await.unwrap();
    let direct = ApiClient::new(&s.base, &token).unwrap();
    let proxy = FaultProxy::start(s.server.addr).await;
    let through_proxy = ApiClient::new(&proxy.url(), &token).unwrap();

    sync_round(&store, &direct).await.unwrap();
    let case = store.open_case(NewCaseRequest::new(customer, "Faults")).await.unwrap();
    let mut made = Made { ops: 1, ..Made::default() };

    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Note => {
                store.add_note(case.id, NewNoteRequest { body: format!("note {i}"), visibility: None }).await.unwrap();
                made.notes += 1;
                made.ops += 1;
            }
            Step::Rasa(k, done) => {
                let fields = RasaStepRequest { notes: format!("step {i}"), done: *done };
                store.set_rasa_step(case.id, RasaStep::ALL[*k], fields).await.unwrap();
                made.entries += 1;
                made.ops += 1;
            }
            Step::Status(open) => {
                let seen = store.case(case.id).await.unwrap().unwrap().case.value;
                let to = if *open { CaseStatus::Open } else { CaseStatus::Pending };
                let change = PatchCaseRequest {
                    revision: seen.revision,
                    status: Some(to),
                    priority: None,
                    assignee_id: None,
                    tags: None,
                    queue: None,
                };
                if seen.status != to && seen.status.can_become(to) {
                    store.change_case(case.id, change).await.unwrap();
                    made.ops += 1;
                }
            }
            Step::FollowUp => {
                let f = NewFollowUpRequest {
                    case_id: Some(case.id),
                    customer_id: None,
                    assignee_id: None,
                    due_at: chrono::Utc::now() + chrono::Duration::hours(1),
                    channel: None,
                    note: format!("follow-up {i}"),
                };
                store.create_followup(f).await.unwrap();
                made.followups += 1;
                made.ops += 1;
            }
            Step::FollowUpDone => {
                let open = store.open_followups(anna.id).await.unwrap();
                if let Some(f) = open.first() {
                    let change = PatchFollowUpRequest {
                        revision: f.value.revision,
                        status: Some(FollowUpStatus::Done),
                        due_at: None,
                        note: None,
                        assignee_id: None,
                        channel: None,
                    };
                    store.change_followup(f.value.id, change).await.unwrap();
                    made.ops += 1;
                }
            }
            Step::Round(faults) => {
                proxy.set_faults(faults.iter().copied());
                let _ = sync_round(&store, &through_proxy).await;
                proxy.set_faults([]);
            }
            Step::Restart => {
                store.close().await;
                store = LocalStore::open(&path).await.unwrap();
            }
        }
    }

    // Clean rounds until nothing waits.
    let mut clean = false;
    for _ in 0..5 {
        let r = sync_round(&store, &direct).await.expect("clean round");
        if r.is_clean() {
            clean = true;
            break;
        }
    }
    assert!(clean, "the outbox drains: {:?}", store.counts().await.unwrap());

    // Exactly once: as many operations, notes, entries and follow-ups as were made.
    let count = |sql: &'static str| {
        let store = s.store.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(store.reader()).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM sync_ops").await, made.ops, "operations applied");
    assert_eq!(count("SELECT COUNT(*) FROM sync_ops WHERE status <> 'applied'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM case_notes").await, made.notes);
    assert_eq!(count("SELECT COUNT(*) FROM rasa_entries").await, made.entries);
    assert_eq!(count("SELECT COUNT(*) FROM followups").await, made.followups);

    // Both sides agree on the case and everything on it.
    let server = s.get(&format!("/api/v1/cases/{}", case.id), &token).await.json;
    let local = store.case(case.id).await.unwrap().unwrap();
    assert!(!local.case.waiting);
    let mut mine = serde_json::to_value(&local.case.value).unwrap();
    mine["notes"] = serde_json::to_value(local.notes.iter().map(|n| &n.value).collect::<Vec<_>>()).unwrap();
    mine["rasa"] = serde_json::to_value(&local.rasa).unwrap();
    mine["followups"] = serde_json::to_value(local.followups.iter().map(|f| &f.value).collect::<Vec<_>>()).unwrap();
    assert_eq!(by_id(mine), by_id(server));
    eprintln!("faults met: {:?}", proxy.applied.lock().unwrap());
    store.close().await;
    drop(proxy);
    s.finish().await;
}

/// Lists sorted by id, so that equal times in another order do not count as a difference.
fn by_id(mut v: Value) -> Value {
    for key in ["notes", "followups"] {
        if let Some(list) = v[key].as_array_mut() {
            list.sort_by_key(|x| x["id"].as_str().unwrap_or("").to_string());
        }
    }
    v
}
