//! Tags on cases over loopback, on SQLite and PostgreSQL: the case's assignee sets them (kept
//! lower-case, once each, sorted), a bad one is refused with why, others may not, and an
//! offline console's change carries them through sync.

mod common;

use casebook::domain::agent::Role;
use common::{op, statuses, TestServer};
use serde_json::json;

async fn case_tags(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, bruno) = s.agent("bruno", Role::Agent, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let case = s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Parcel"})).await;
    assert_eq!(case.status, 201, "{}", case.json);
    assert_eq!(case.json["tags"], json!([]));
    let id = case.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/cases/{id}");

    let r = s.patch(&path, &anna, json!({"revision": 1, "tags": ["VIP", "#refund-promised", "vip"]})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["tags"], json!(["refund-promised", "vip"]));
    common::conforms(&reqwest::Method::PATCH, &path, 200, "application/json", &r.json);
    let rev = r.json["revision"].as_i64().unwrap();
    let r = s.patch(&path, &anna, json!({"revision": rev, "tags": ["two words"]})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("is not a tag"), "{}", r.json);
    let r = s.patch(&path, &bruno, json!({"revision": rev, "tags": []})).await;
    assert_eq!(r.status, 403, "not his case: {}", r.json);

    // Through sync, as an offline console sends it.
    let device = uuid::Uuid::now_v7();
    let results = s
        .push(
            &anna,
            device,
            &[op(1, "case.change", json!({"case_id": id, "fields": {"revision": rev, "tags": ["callback"]}}))],
        )
        .await;
    assert_eq!(statuses(&results), ["applied"], "{results:?}");
    assert_eq!(s.get(&path, &anna).await.json["tags"], json!(["callback"]));
}

both_backends!(case_tags);
