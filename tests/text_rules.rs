//! One rule for text on both databases (no NUL, refused with a problem naming the field), and
//! `retry` meaning only "transient": an operation or an event that fails in a way that will
//! recur is refused on its own, and everything behind it goes on.

mod common;

use casebook::domain::agent::Role;
use common::{op, statuses, Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

both_backends!(nul_is_refused_naming_the_field_everywhere, a_failure_that_will_recur_is_a_rejection_not_a_stall);

fn assert_names(r: &common::Resp, status: u16, field: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.json["detail"].as_str().unwrap().contains(field), "names `{field}`: {}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("U+0000"), "{}", r.json);
}

async fn nul_is_refused_naming_the_field_everywhere(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-1").await;
    let case = s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Kettle"})).await;
    let case_id = case.json["id"].as_str().unwrap().to_string();

    let r = s.post(&format!("/api/v1/cases/{case_id}/notes"), &anna, json!({"body": "a\u{0}b"})).await;
    assert_names(&r, 422, "body");
    assert_eq!(r.json["errors"][0]["field"], "body");
    let r =
        s.put(&format!("/api/v1/cases/{case_id}/rasa/receive"), &anna, json!({"notes": "x\u{0}", "done": false})).await;
    assert_names(&r, 422, "notes");
    let r = s
        .post(
            "/api/v1/followups",
            &anna,
            json!({"case_id": case_id, "due_at": "2030-01-01T09:00:00Z", "note": "\u{0}"}),
        )
        .await;
    assert_names(&r, 422, "note");
    let r = s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "S\u{0}"})).await;
    assert_names(&r, 422, "subject");
    let r = s.post("/api/v1/agents", &admin, json!({"name": "bad\u{0}name", "role": "agent"})).await;
    assert_names(&r, 422, "name");
    let r = s.get("/api/v1/customers?q=an%00na", &anna).await;
    assert_names(&r, 400, "q");

    // Events: a customer name or any part of `data`; in a batch, that event alone.
    let mut named = common::ce("e-1", "shop", "order_placed", "C-2", "2026-05-01T10:00:00Z", json!({"title": "ok"}));
    named["customername"] = json!("Zoe\u{0}");
    let r = s.events(&shop, "application/cloudevents+json", named.clone()).await;
    assert_names(&r, 422, "customername");
    let deep = common::ce(
        "e-2",
        "shop",
        "order_placed",
        "C-2",
        "2026-05-01T10:00:00Z",
        json!({"title": "ok", "items": [{"sku": "a"}, {"note": "x\u{0}"}]}),
    );
    let r = s.events(&shop, "application/cloudevents+json", deep.clone()).await;
    assert_names(&r, 422, "data.items[1].note");
    let good = |id: &str| common::ce(id, "shop", "order_placed", "C-2", "2026-05-01T10:00:00Z", json!({"title": id}));
    let r = s.events(&shop, "application/cloudevents-batch+json", json!([good("g-1"), deep, good("g-2")])).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["created"].as_u64(), r.json["rejected"].as_u64()), (Some(2), Some(1)), "{}", r.json);
    assert_eq!(r.json["results"][1]["status"], "rejected");

    // Pushed: the operation with NUL is rejected with its reason, and the device goes on.
    let device = Uuid::now_v7();
    let ops = vec![
        op(1, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "bad\u{0}"}})),
        op(2, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": "after it"}})),
    ];
    let results = s.push(&anna, device, &ops).await;
    assert_eq!(statuses(&results), ["rejected", "applied"], "{results:?}");
    assert!(results[0]["problem"]["detail"].as_str().unwrap().contains("payload.fields.body"), "{results:?}");
    let again = s.push(&anna, device, &ops).await;
    assert_eq!(statuses(&again), ["rejected", "duplicate"]);
    assert_eq!(s.note_bodies(&case_id, &anna).await, ["after it"]);
}

/// A database-level refusal that the rules do not foresee (here a trigger that refuses one
/// note body and one event title, standing in for any constraint): the pushed operation is
/// rejected for good and the device's later operations are applied; the batch keeps its
/// other events.
async fn a_failure_that_will_recur_is_a_rejection_not_a_stall(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-1").await;
    let case = s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Kettle"})).await;
    let case_id = case.json["id"].as_str().unwrap().to_string();
    let poison: &[&str] = match s.backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER poison_note BEFORE INSERT ON case_notes WHEN NEW.body = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned note'); END",
            "CREATE TRIGGER poison_event BEFORE INSERT ON events WHEN NEW.title = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END",
        ],
        Backend::Postgres => &[
            "ALTER TABLE case_notes ADD CONSTRAINT poison_note CHECK (body <> 'poison')",
            "ALTER TABLE events ADD CONSTRAINT poison_event CHECK (title <> 'poison')",
        ],
    };
    for stmt in poison {
        sqlx::query(stmt).execute(s.store.reader()).await.unwrap();
    }

    let device = Uuid::now_v7();
    let note = |seq, body: &str| {
        op(seq, "note.add", json!({"case_id": case_id, "note_id": Uuid::now_v7(), "fields": {"body": body}}))
    };
    let ops = vec![note(1, "before"), note(2, "poison"), note(3, "after")];
    let results = s.push(&anna, device, &ops).await;
    assert_eq!(statuses(&results), ["applied", "rejected", "applied"], "{results:?}");
    // The refusal is an answer for good: a replay gets it again, and the next push goes on.
    let again = s.push(&anna, device, &ops).await;
    assert_eq!(statuses(&again), ["duplicate", "rejected", "duplicate"], "{again:?}");
    let next = s.push(&anna, device, &[note(4, "later")]).await;
    assert_eq!(statuses(&next), ["applied"]);
    let mut bodies = s.note_bodies(&case_id, &anna).await;
    bodies.sort();
    assert_eq!(bodies, ["after", "before", "later"]);

    let ev = |id: &str, title: &str| {
        common::ce(id, "shop", "order_placed", "C-3", "2026-05-01T10:00:00Z", json!({"title": title}))
    };
    let r = s
        .events(
            &shop,
            "application/cloudevents-batch+json",
            json!([ev("a", "fine"), ev("b", "poison"), ev("c", "also fine")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["created"].as_u64(), r.json["rejected"].as_u64()), (Some(2), Some(1)), "{}", r.json);
    assert_eq!(r.json["results"][1]["status"], "rejected");
    let again =
        s.events(&shop, "application/cloudevents-batch+json", json!([ev("a", "fine"), ev("c", "also fine")])).await;
    assert_eq!(again.json["duplicates"].as_u64(), Some(2), "stored once: {}", again.json);
}
