//! A hand-over to another team over loopback, on SQLite and PostgreSQL: the case's assignee
//! (or a lead of its team) moves it to another queue; the queue's team works it from then on,
//! unassigned unless someone of that team is named; others may not; the timeline says so; and
//! an offline console's change carries it through sync.

mod common;

use casebook::domain::agent::Role;
use common::{op, statuses, TestServer};
use serde_json::json;

async fn case_moves_to_another_team(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, bruno) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (dora, _) = s.agent("dora", Role::Agent, &["billing"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let open = |subject: &'static str| {
        let customer = customer.clone();
        let anna = anna.clone();
        async move {
            let r = s
                .post(
                    "/api/v1/cases",
                    &anna,
                    json!({"customer_id": customer, "subject": subject, "team": "support", "queue": "support"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.json);
            (r.json["id"].as_str().unwrap().to_string(), r.json["revision"].as_i64().unwrap())
        }
    };
    let (id, rev) = open("Invoice shows the wrong VAT number").await;
    let path = format!("/api/v1/cases/{id}");

    let r = s.patch(&path, &bruno, json!({"revision": rev, "queue": "billing"})).await;
    assert_eq!(r.status, 403, "not his case: {}", r.json);
    let r = s.patch(&path, &anna, json!({"revision": rev, "queue": "Not A Queue"})).await;
    assert!(r.status == 422 || r.status == 400, "{}", r.json);
    let r = s.patch(&path, &anna, json!({"revision": rev, "queue": " Billing "})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::PATCH, &path, 200, "application/json", &r.json);
    assert_eq!((r.json["queue"].as_str(), r.json["team"].as_str()), (Some("billing"), Some("billing")));
    assert!(r.json["assignee_id"].is_null(), "it left anna: {}", r.json);
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline/rows?kind=case_moved"), &lena).await;
    assert_eq!(t.json["rows"][0]["title"], "Moved to the billing queue (team billing)", "{}", t.json);
    // Now billing's: support's lead no longer leads it.
    let rev = r.json["revision"].as_i64().unwrap();
    let r = s.patch(&path, &lena, json!({"revision": rev, "queue": "support"})).await;
    assert_eq!(r.status, 403, "{}", r.json);

    // A lead moves one straight to someone of the other team; not to someone outside it.
    let (id, rev) = open("Charged twice").await;
    let path = format!("/api/v1/cases/{id}");
    let r = s
        .patch(&path, &lena, json!({"revision": rev, "queue": "billing", "assignee_id": anna_id(s, &anna).await}))
        .await;
    assert_eq!(r.status, 409, "anna is not in billing: {}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("not in team `billing`"), "{}", r.json);
    let r = s.patch(&path, &lena, json!({"revision": rev, "queue": "billing", "assignee_id": dora.id})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["team"].as_str(), r.json["assignee_id"].as_str()),
        (Some("billing"), Some(dora.id.to_string().as_str()))
    );

    // Through sync, as an offline console sends it.
    let (id, rev) = open("Refund to a closed card").await;
    let device = uuid::Uuid::now_v7();
    let results = s
        .push(
            &anna,
            device,
            &[op(1, "case.change", json!({"case_id": id, "fields": {"revision": rev, "queue": "billing"}}))],
        )
        .await;
    assert_eq!(statuses(&results), ["applied"], "{results:?}");
    let case = s.get(&format!("/api/v1/cases/{id}"), &lena).await.json;
    assert_eq!((case["team"].as_str(), case["assignee_id"].is_null()), (Some("billing"), true), "{case}");
}

async fn anna_id(s: &TestServer, token: &str) -> String {
    s.get("/api/v1/me", token).await.json["agent"]["id"].as_str().unwrap().to_string()
}

both_backends!(case_moves_to_another_team);
