//! CloudEvents as the official Rust SDK sends them (`cloudevents-sdk` with its reqwest binding):
//! binary content mode, its default, and structured mode, over loopback to the real server, on
//! SQLite and PostgreSQL. What arrives is on the customer's timeline; a replay changes nothing.

mod common;

use casebook::domain::agent::Role;
use cloudevents::binding::reqwest::{RequestBuilderExt, RequestSerializer};
use cloudevents::message::StructuredDeserializer;
use cloudevents::{Event, EventBuilder, EventBuilderV10};
use common::{Backend, TestServer};
use serde_json::{json, Value};

fn payment_failed(id: &str, subject: &str) -> Event {
    EventBuilderV10::new()
        .id(id)
        .source("/acme/billing")
        .ty("com.acme.billing.payment_failed")
        .subject(subject)
        .time("2026-11-30T09:15:00Z")
        .extension("customeremail", "zoe.q@example.com")
        .data("application/json", json!({"title": "Card declined", "amount": 42.5, "currency": "EUR"}))
        .build()
        .expect("a valid event")
}

async fn answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let body = res.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn both_modes(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else { return };
    let billing = s.ingest_token("billing").await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let url = format!("{}/api/v1/events", s.base);

    // Binary mode, as the SDK sends by default: attributes in ce-* headers, data as the body.
    let req = s.client.post(&url).bearer_auth(&billing).event(payment_failed("pay-1", "CUST-9")).expect("binary");
    let (status, created) = answer(req.send().await.expect("send")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "billing");
    let customer = created["customer_id"].as_str().expect("a customer").to_string();

    // The same event again: stored once.
    let req = s.client.post(&url).bearer_auth(&billing).event(payment_failed("pay-1", "CUST-9")).expect("binary");
    let (status, again) = answer(req.send().await.expect("send")).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")), "{again}");
    assert_eq!(again["event_id"], created["event_id"]);

    // Text data in binary mode, with an extension the SDK sends as a header.
    let note = EventBuilderV10::new()
        .id("call-7")
        .source("urn:acme:billing")
        .ty("com.acme.billing.call_logged")
        .subject("CUST-9")
        .extension("customername", "Zoe Quintero")
        .data("text/plain", "Asked about the second charge")
        .build()
        .unwrap();
    let req = s.client.post(&url).bearer_auth(&billing).event(note).expect("binary");
    let (status, text) = answer(req.send().await.expect("send")).await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(text["customer_id"].as_str(), Some(customer.as_str()), "the same customer");

    // Structured mode through the same SDK.
    let req = s.client.post(&url).bearer_auth(&billing);
    let req =
        payment_failed("pay-2", "CUST-9").deserialize_structured(RequestSerializer::new(req)).expect("structured");
    let (status, structured) = answer(req.send().await.expect("send")).await;
    assert_eq!(status, 201, "{structured}");
    assert_eq!(structured["customer_id"].as_str(), Some(customer.as_str()));

    // Binary mode without a source: a problem that names it, nothing stored.
    let res = s
        .client
        .post(&url)
        .bearer_auth(&billing)
        .header("ce-specversion", "1.0")
        .header("ce-id", "pay-3")
        .header("ce-type", "com.acme.billing.payment_failed")
        .header("ce-subject", "CUST-9")
        .header("content-type", "application/json")
        .body(r#"{"title": "Card declined"}"#)
        .send()
        .await
        .unwrap();
    let (status, problem) = answer(res).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap_or("").contains("source"), "{problem}");

    // Neither a CloudEvents media type nor ce-specversion: told both ways to send.
    let res = s.client.post(&url).bearer_auth(&billing).header("content-type", "text/plain").body("hi").send().await;
    let (status, problem) = answer(res.unwrap()).await;
    assert_eq!(status, 415, "{problem}");
    assert!(problem["detail"].as_str().unwrap_or("").contains("ce-specversion"), "{problem}");

    // On the timeline, newest first, as the agent sees it.
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline"), &agent).await;
    assert_eq!(t.status, 200, "{}", t.json);
    let items = t.json["events"].as_array().expect("events");
    let seen: Vec<(&str, &str)> =
        items.iter().map(|e| (e["source_event_id"].as_str().unwrap(), e["title"].as_str().unwrap())).collect();
    assert!(seen.contains(&("pay-1", "Card declined")), "{seen:?}");
    assert!(seen.contains(&("pay-2", "Card declined")), "{seen:?}");
    assert!(seen.contains(&("call-7", "Call logged")), "{seen:?}");
    let call = items.iter().find(|e| e["source_event_id"] == "call-7").unwrap();
    assert_eq!(call["data"], "Asked about the second charge", "text data kept as text");
    assert_eq!(items.iter().filter(|e| e["source_event_id"] == "pay-1").count(), 1, "stored once");

    // Counted by source and outcome for Prometheus.
    let text = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap().text().await.unwrap();
    for line in [
        "casebook_events_total{source=\"billing\",outcome=\"created\"} 3",
        "casebook_events_total{source=\"billing\",outcome=\"duplicate\"} 1",
        "casebook_events_total{source=\"(unreadable)\",outcome=\"rejected\"} 1",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    s.finish().await;
}

#[tokio::test]
async fn the_sdk_posts_in_binary_and_structured_mode_sqlite() {
    both_modes(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_sdk_posts_in_binary_and_structured_mode_postgres() {
    both_modes(Backend::Postgres).await;
}
