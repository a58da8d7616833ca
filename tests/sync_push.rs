//! Pushing offline operations: applied once, replays answered with the first result, gaps
//! refused as retry, stale changes reported as conflicts with the current state, refusals kept.

mod common;

use casebook::domain::agent::Role;
use common::{op, statuses, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(offline_case_work_applies_once, conflicts_gaps_and_refusals);

async fn offline_case_work_applies_once(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-1").await;
    let device = Uuid::now_v7();
    let case_id = Uuid::now_v7();
    let ops = vec![
        op(
            1,
            "case.open",
            json!({"case_id": case_id, "fields": {"customer_id": customer, "subject": "Parcel lost", "channel": "phone"}}),
        ),
        op(
            2,
            "note.add",
            json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "Called from the train"}}),
        ),
        op(
            3,
            "rasa.set",
            json!({"case_id": case_id, "entry_id": Uuid::now_v7(), "step": "receive", "fields": {"notes": "\"It never came\"", "done": true}}),
        ),
        op(4, "case.change", json!({"case_id": case_id, "fields": {"revision": 1, "status": "open"}})),
        op(
            5,
            "case.resolve",
            json!({"case_id": case_id, "fields": {"revision": 2, "summary": "Reshipped", "outcome": "negative", "rasa_incomplete_reason": "line dropped"}}),
        ),
        op(
            6,
            "followup.create",
            json!({"followup_id": Uuid::now_v7(), "fields": {"case_id": case_id, "due_at": "2030-01-01T09:10:00Z", "note": "Check it arrived"}}),
        ),
    ];
    let first = s.push(&agent, device, &ops).await;
    assert_eq!(statuses(&first), ["applied"; 6], "{first:#?}");
    assert_eq!(first[0]["result"]["id"], json!(case_id));
    assert_eq!(first[0]["result"]["assignee_id"], json!(anna.id));
    assert_eq!(first[4]["result"]["status"], "resolved");

    // The same push again (a lost response): nothing changes, the first answers come back.
    let (changes_before, _) = pull(s, &agent).await;
    let again = s.push(&agent, device, &ops).await;
    assert_eq!(statuses(&again), ["duplicate"; 6]);
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(a["result"], b["result"]);
    }
    let (changes_after, _) = pull(s, &agent).await;
    assert_eq!(changes_before, changes_after, "a replay writes nothing");

    let detail = s.get(&format!("/api/v1/cases/{case_id}"), &agent).await.json;
    assert_eq!(detail["notes"].as_array().unwrap().len(), 1);
    assert_eq!(detail["rasa"]["steps"][0]["notes"], "\"It never came\"");
    assert_eq!(detail["followups"].as_array().unwrap().len(), 1);
    assert_eq!(detail["revision"], 3);

    // The next operation of the device carries on from 7.
    let next = s
        .push(
            &agent,
            device,
            &[op(
                7,
                "note.add",
                json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "Back online"}}),
            )],
        )
        .await;
    assert_eq!(statuses(&next), ["applied"]);

    // A console that renumbered its outbox under a new device (after rebuilding its copy)
    // replays an operation already applied: it answers `duplicate` and takes its place in the
    // new device's sequence, so the next operation is not held back as a gap.
    let renumbered = Uuid::now_v7();
    let mut replay = ops[1].clone();
    replay["seq"] = json!(1);
    let fresh = op(
        2,
        "note.add",
        json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "After the rebuild"}}),
    );
    let answers = s.push(&agent, renumbered, &[replay, fresh]).await;
    assert_eq!(statuses(&answers), ["duplicate", "applied"], "{answers:#?}");
}

async fn pull(s: &TestServer, token: &str) -> (usize, String) {
    let page = s.get("/api/v1/sync/pull?limit=1000", token).await;
    (page.json["changes"].as_array().unwrap().len(), page.json["next_cursor"].as_str().unwrap().to_string())
}

async fn conflicts_gaps_and_refusals(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, bruno) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let customer = s.customer(&admin, "C-2").await;
    let case = s
        .post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Double charge", "status": "open"}))
        .await
        .json;
    let case_id = case["id"].as_str().unwrap().to_string();

    // Anna and her lead both worked on revision 1 offline: both notes merge; the second field
    // change is a conflict carrying the case as it now is.
    let (dev_a, dev_l) = (Uuid::now_v7(), Uuid::now_v7());
    let a = s
        .push(
            &anna,
            dev_a,
            &[
                op(
                    1,
                    "note.add",
                    json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "anna's note"}}),
                ),
                op(2, "case.change", json!({"case_id": case_id, "fields": {"revision": 1, "status": "pending"}})),
            ],
        )
        .await;
    assert_eq!(statuses(&a), ["applied", "applied"]);
    let l = s
        .push(
            &lena,
            dev_l,
            &[
                op(
                    1,
                    "note.add",
                    json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "lena's note"}}),
                ),
                op(2, "case.change", json!({"case_id": case_id, "fields": {"revision": 1, "priority": "urgent"}})),
            ],
        )
        .await;
    assert_eq!(statuses(&l), ["applied", "conflict"]);
    assert_eq!(l[1]["current"]["status"], "pending");
    assert_eq!(l[1]["current"]["revision"], 2);
    assert_eq!(l[1]["problem"]["code"], "stale-revision");
    let detail = s.get(&format!("/api/v1/cases/{case_id}"), &anna).await.json;
    assert_eq!(detail["notes"].as_array().unwrap().len(), 2, "both notes kept");
    assert_eq!(detail["priority"], "normal", "the stale change was not applied");
    // Keep mine: a new operation with the current revision.
    let l = s
        .push(
            &lena,
            dev_l,
            &[op(3, "case.change", json!({"case_id": case_id, "fields": {"revision": 2, "priority": "urgent"}}))],
        )
        .await;
    assert_eq!(statuses(&l), ["applied"]);

    // A gap: operation 5 before 4 is retried later, and so is everything after it.
    let gap = s
        .push(
            &anna,
            dev_a,
            &[
                op(5, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "five"}})),
                op(6, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "six"}})),
            ],
        )
        .await;
    assert_eq!(statuses(&gap), ["retry", "retry"]);
    assert_eq!(gap[0]["problem"]["code"], "sequence-gap");

    // Refusals are final, kept, and replayed as they were.
    let bad = vec![
        op(3, "case.teleport", json!({})),
        op(4, "note.add", json!({"case_id": case_id, "fields": {"body": "no note id"}})),
        op(5, "case.change", json!({"case_id": case_id, "fields": {"revision": 3, "priority": "low"}})),
        op(6, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "  "}})),
    ];
    let r = s.push(&anna, dev_a, &bad).await;
    assert_eq!(statuses(&r), ["rejected"; 4], "{r:#?}");
    assert!(r[0]["problem"]["detail"].as_str().unwrap().contains("unknown operation `case.teleport`"));
    assert!(r[1]["problem"]["detail"].as_str().unwrap().contains("note_id"));
    assert_eq!(r[2]["problem"]["status"], 403, "agents do not reprioritise");
    assert_eq!(r[3]["problem"]["status"], 422);
    let replay = s.push(&anna, dev_a, &bad).await;
    assert_eq!(statuses(&replay), ["rejected"; 4]);
    assert_eq!(replay[2]["problem"], r[2]["problem"]);

    // A device belongs to one agent; a sequence number to one operation.
    let stolen = s
        .push(
            &bruno,
            dev_a,
            &[op(7, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "x"}}))],
        )
        .await;
    assert_eq!(statuses(&stolen), ["rejected"]);
    assert!(stolen[0]["problem"]["detail"].as_str().unwrap().contains("another agent"));
    let reused = s
        .push(
            &anna,
            dev_a,
            &[op(2, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "x"}}))],
        )
        .await;
    assert_eq!(statuses(&reused), ["rejected"]);

    // The request as a whole.
    let too_many: Vec<Value> = (1..=1001).map(|i| op(i, "note.add", json!({}))).collect();
    let r = s.post("/api/v1/sync/push", &anna, json!({"device_id": Uuid::now_v7(), "operations": too_many})).await;
    assert_eq!((r.status, r.code()), (422, "validation-failed"));
    let r = s.post("/api/v1/sync/push", &anna, json!({"device_id": "not-a-uuid", "operations": []})).await;
    assert_eq!(r.status, 422);
    let ingest = s.ingest_token("shop").await;
    assert_eq!(
        s.post("/api/v1/sync/push", &ingest, json!({"device_id": Uuid::now_v7(), "operations": []})).await.status,
        403
    );
}

both_backends!(a_client_that_hangs_up_mid_push_leaves_no_open_transaction);

/// A console that disconnects in the middle of a long push (a train entering a tunnel) must not
/// leave a transaction open on the server: the next writes go through, and the operations that
/// were applied stay applied exactly once when the push is repeated.
async fn a_client_that_hangs_up_mid_push_leaves_no_open_transaction(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-3").await;
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Tunnel"})).await.json;
    let case_id = case["id"].as_str().unwrap().to_string();
    let device = Uuid::now_v7();
    let ops: Vec<Value> = (1..=600)
        .map(|i| {
            op(
                i,
                "note.add",
                json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": format!("note {i}")}}),
            )
        })
        .collect();
    let body = json!({"device_id": device, "operations": ops});
    for _ in 0..3 {
        let send = s.client.post(format!("{}/api/v1/sync/push", s.base)).bearer_auth(&agent).json(&body).send();
        // Hang up part-way through.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(60), send).await;
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            s.post(&format!("/api/v1/cases/{case_id}/notes"), &agent, json!({"body": "after the tunnel"})),
        )
        .await
        .expect("writes go on after a client hung up");
        assert_eq!(r.status, 201);
    }
    // Let any request still running on the server finish, then push everything again.
    let finished = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let r = s.push(&agent, device, &ops).await;
            if r.iter().all(|x| x["status"] == "applied" || x["status"] == "duplicate") {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the push completes");
    assert_eq!(finished.len(), 600);
    let detail = s.get(&format!("/api/v1/cases/{case_id}"), &agent).await.json;
    assert_eq!(detail["notes"].as_array().unwrap().len(), 603, "600 operations once each, and the 3 direct notes");
}

both_backends!(a_group_answers_each_operation_as_one_at_a_time_would);

/// Operations of one push share a transaction, with their claims, note lookups, answers and
/// timeline events written a statement per group rather than per operation. Each still gets
/// the answer it would get alone: a note id taken earlier in the same push or before it is
/// refused, an operation repeated in the push is answered with its first answer, one built on
/// a refused operation of the same push is a conflict, and the timeline and the feed carry
/// every note once.
async fn a_group_answers_each_operation_as_one_at_a_time_would(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-3").await;
    let case = s
        .post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Late parcel", "status": "open"}))
        .await
        .json;
    let case_id = case["id"].as_str().unwrap().to_string();
    let device = Uuid::now_v7();
    let (earlier, twice) = (Uuid::now_v7(), Uuid::now_v7());
    let first = s
        .push(
            &anna,
            device,
            &[op(1, "note.add", json!({"case_id": case_id, "note_id": earlier, "fields": {"body": "one"}}))],
        )
        .await;
    assert_eq!(statuses(&first), ["applied"]);
    let (changes_before, _) = pull(s, &anna).await;

    let note = |seq, id: Uuid, body: &str| {
        op(seq, "note.add", json!({"case_id": case_id, "note_id": id, "fields": {"body": body}}))
    };
    let repeated = note(3, Uuid::now_v7(), "said twice");
    let mut again = repeated.clone();
    again["seq"] = json!(4);
    let refused = op(6, "case.change", json!({"case_id": case_id, "fields": {"revision": 1, "priority": "urgent"}}));
    let mut built_on =
        op(7, "case.change", json!({"case_id": case_id, "fields": {"revision": 2, "status": "pending"}}));
    built_on["depends_on"] = refused["id"].clone();
    let applied = op(8, "case.change", json!({"case_id": case_id, "fields": {"revision": 1, "status": "pending"}}));
    let mut built_on_applied =
        op(9, "case.change", json!({"case_id": case_id, "fields": {"revision": 2, "status": "open"}}));
    built_on_applied["depends_on"] = applied["id"].clone();
    let ops = vec![
        note(2, twice, "first use of an id"),
        repeated,
        again,
        note(5, twice, "second use of the id"),
        refused,
        built_on,
        applied,
        built_on_applied,
        note(10, earlier, "an id taken by the push before"),
        op(
            11,
            "note.add",
            json!({"case_id": Uuid::now_v7(), "note_id": Uuid::now_v7(), "fields": {"body": "no such case"}}),
        ),
        note(12, Uuid::now_v7(), "the last word"),
    ];
    let r = s.push(&anna, device, &ops).await;
    assert_eq!(
        statuses(&r),
        [
            "applied",
            "applied",
            "duplicate",
            "rejected",
            "rejected",
            "conflict",
            "applied",
            "applied",
            "rejected",
            "rejected",
            "applied"
        ],
        "{r:#?}"
    );
    assert_eq!(r[7]["result"]["revision"], 3, "built on a change applied earlier in the same push");
    assert_eq!(r[2]["result"], r[1]["result"], "a repeat gets the first answer");
    for i in [3, 8] {
        assert!(r[i]["problem"]["detail"].as_str().unwrap().contains("exists already"), "{:#?}", r[i]);
    }
    assert_eq!(r[4]["problem"]["status"], 403, "agents do not reprioritise");
    assert_eq!(r[5]["problem"]["code"], "conflict");
    assert_eq!(r[5]["current"]["status"], "open", "the change built on the refused one was not applied");
    assert_eq!(r[9]["problem"]["status"], 404);

    // A replay of the whole push changes nothing and gets the same answers.
    let replay = s.push(&anna, device, &ops).await;
    for (a, b) in r.iter().zip(&replay) {
        let expected = if a["status"] == "applied" { "duplicate" } else { a["status"].as_str().unwrap() };
        assert_eq!((b["status"].as_str().unwrap(), &b["problem"]), (expected, &a["problem"]));
    }

    let detail = s.get(&format!("/api/v1/cases/{case_id}"), &anna).await.json;
    let bodies: Vec<&str> = detail["notes"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["one", "first use of an id", "said twice", "the last word"]);
    let (changes_after, _) = pull(s, &anna).await;
    assert_eq!(changes_after - changes_before, 5, "one change per note and per case change applied");
    let timeline = s.get(&format!("/api/v1/customers/{customer}/timeline?limit=100"), &anna).await.json;
    let notes_on_timeline = timeline["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "note_added").count();
    assert_eq!(notes_on_timeline, 4, "each note once on the timeline");
}
