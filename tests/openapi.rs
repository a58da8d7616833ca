//! The OpenAPI document: checked in at src/server/openapi.json, identical to the served one,
//! and covering every route of the contract in ARCHITECTURE.md §3.
//!
//! After changing the API, regenerate the checked-in copy with
//! `CASEBOOK_UPDATE_OPENAPI=1 cargo test --test openapi`.

mod common;

use common::{Backend, TestServer};
use reqwest::Method;

const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/server/openapi.json");

/// (method, path) of every route the contract names.
const CONTRACT: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/customers"),
    ("get", "/api/v1/customers/{id}"),
    ("get", "/api/v1/customers/{id}/timeline"),
    ("post", "/api/v1/events"),
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{id}"),
    ("patch", "/api/v1/cases/{id}"),
    ("post", "/api/v1/cases/{id}/notes"),
    ("put", "/api/v1/cases/{id}/rasa/{step}"),
    ("put", "/api/v1/cases/{id}/resolution"),
    ("get", "/api/v1/followups"),
    ("post", "/api/v1/followups"),
    ("patch", "/api/v1/followups/{id}"),
    ("get", "/api/v1/sync/pull"),
    ("post", "/api/v1/sync/push"),
];

#[tokio::test]
async fn served_document_is_the_checked_in_one() {
    let s = TestServer::start(Backend::Sqlite).await.expect("sqlite always runs");
    let r = s.client.get(format!("{}/api/v1/openapi.json", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let served = r.text().await.unwrap();
    if std::env::var("CASEBOOK_UPDATE_OPENAPI").is_ok() {
        std::fs::write(CHECKED_IN, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(CHECKED_IN).unwrap_or_default();
    assert!(
        checked_in == served,
        "src/server/openapi.json differs from the served document: regenerate it with `CASEBOOK_UPDATE_OPENAPI=1 cargo test --test openapi` and review the diff"
    );
    s.finish().await;
}

#[test]
fn document_covers_the_contract() {
    let doc = common::openapi_doc();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in CONTRACT {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is missing from the OpenAPI document");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} documents no responses");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    // Each documented (method, path) answers with something other than the router's
    // "no such route" or "method not allowed": the document names nothing that is not there.
    let s = TestServer::start(Backend::Sqlite).await.expect("sqlite always runs");
    let doc = common::openapi_doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e").replace("{step}", "receive");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s.client.request(m, format!("{}{concrete}", s.base)).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            let unrouted = (status == 404 && body.contains("there is no route")) || status == 405;
            assert!(!unrouted, "{method} {path} is documented but not served ({status}: {body})");
        }
    }
    s.finish().await;
}
