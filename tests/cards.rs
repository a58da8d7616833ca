//! The customer card on SQLite and PostgreSQL over loopback: who the customer is and what each
//! source says, summed by the card rules over hand-counted events (windows that leave some
//! out); a server with its own rules; customers read by id; and the console's side — the sync
//! engine reads the customers of the cases it pulled, the card is kept for offline use.

mod common;

use casebook::client::sync::sync_round;
use casebook::client::ApiClient;
use casebook::domain::agent::Role;
use casebook::domain::card::CardRules;
use casebook::local::LocalStore;
use chrono::{Duration, Utc};
use common::{ce, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

const ONE: &str = "application/cloudevents+json";

fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days) - Duration::minutes(1)).to_rfc3339()
}

/// An ingest token for each source.
async fn tokens(s: &TestServer) -> std::collections::HashMap<&'static str, String> {
    let mut out = std::collections::HashMap::new();
    for source in ["shop", "billing", "survey", "product"] {
        out.insert(source, s.ingest_token(source).await);
    }
    out
}

type Tokens = std::collections::HashMap<&'static str, String>;

async fn send(s: &TestServer, tokens: &Tokens, id: &str, source: &str, kind: &str, days: i64, data: Value) -> String {
    let token = &tokens[source];
    let mut e = ce(id, source, kind, "C-1", &ago(days), data);
    e["customeremail"] = json!("zoe.q@example.com");
    e["customername"] = json!("Zoe Quintero");
    let r = s.events(token, ONE, e).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.json);
    r.json["customer_id"].as_str().unwrap().to_string()
}

fn fact<'a>(card: &'a Value, label: &str) -> &'a Value {
    card["facts"].as_array().unwrap().iter().find(|f| f["label"] == label).unwrap_or_else(|| panic!("{label}: {card}"))
}

async fn card_sums_what_each_source_says(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = tokens(s).await;
    // All under one customer: the shop knows her as C-1, the others by her email.
    let who = send(s, &shop, "o-1", "shop", "order_placed", 5, json!({"total": 129.0})).await;
    send(s, &shop, "o-2", "shop", "order_placed", 60, json!({"total": "89.50"})).await;
    send(s, &shop, "o-3", "shop", "order_placed", 120, json!({"total": 1000})).await; // outside 90 days
    send(s, &shop, "r-1", "shop", "refund_issued", 10, json!({})).await;
    send(s, &shop, "p-1", "billing", "payment_failed", 2, json!({"amount": 42.5})).await;
    send(s, &shop, "p-2", "billing", "payment_failed", 20, json!({"amount": 42.5})).await;
    send(s, &shop, "p-3", "billing", "payment_failed", 40, json!({})).await; // outside 30 days
    send(s, &shop, "s-1", "survey", "csat_response", 30, json!({"score": 5})).await;
    send(s, &shop, "s-2", "survey", "csat_response", 20, json!({"score": "4"})).await;
    send(s, &shop, "s-3", "survey", "csat_response", 1, json!({"score": 2})).await;
    send(s, &shop, "e-1", "product", "error_shown", 8, json!({})).await; // outside 7 days
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": who, "subject": "Card declined twice"})).await;
    assert_eq!(case.status, 201, "{}", case.json);

    let r = s.get(&format!("/api/v1/customers/{who}/card"), &agent).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let card = &r.json;
    assert_eq!(card["customer"]["display_name"], "Zoe Quintero");
    assert_eq!(card["customer"]["emails"], json!(["zoe.q@example.com"]));
    assert_eq!(card["customer"]["external_ids"]["shop"], "C-1");
    assert_eq!(card["open_cases"], 1);
    assert_eq!(card["last_case"]["subject"], "Card declined twice");
    assert_eq!(card["last_case"]["status"], "new");
    // The last event the customer was seen in another system: casebook's own activity (the
    // case just opened, newest on the timeline) is not the customer getting in touch.
    let timeline = s.get(&format!("/api/v1/customers/{who}/timeline?limit=1"), &agent).await.json;
    assert_eq!(timeline["events"][0]["kind"], "case_opened", "{timeline}");
    assert_eq!(card["last_event"]["kind"], "csat_response", "{card}");
    assert_eq!(fact(card, "Orders 90d")["value"], 2.0);
    assert_eq!(fact(card, "Spent 90d")["value"], 218.5);
    assert_eq!(fact(card, "Refunds 90d")["value"], 1.0);
    assert_eq!(fact(card, "Refunds 90d")["warn"], false);
    assert_eq!(fact(card, "Failed payments 30d")["value"], 2.0);
    assert_eq!(fact(card, "Failed payments 30d")["warn"], true);
    assert_eq!(fact(card, "Errors 7d")["value"], 0.0);
    let csat = fact(card, "CSAT");
    assert_eq!((&csat["value"], &csat["earlier"], &csat["warn"]), (&json!(2.0), &json!([4.0, 5.0]), &json!(true)));
    assert_eq!(fact(card, "NPS")["value"], Value::Null, "never answered: no value, no warning");
    common::conforms(&reqwest::Method::GET, "/api/v1/customers/{id}/card", 200, "application/json", card);

    // Unknown and malformed ids.
    let r = s.get(&format!("/api/v1/customers/{}/card", Uuid::now_v7()), &agent).await;
    assert_eq!((r.status, r.code()), (404, "not-found"), "{}", r.json);
    let r = s.get("/api/v1/customers/nope/card", &agent).await;
    assert_eq!(r.status, 400, "{}", r.json);

    // Customers by id, for a console naming the customers of its cases.
    let other = send(s, &shop, "o-9", "shop", "order_placed", 1, json!({})).await;
    assert_eq!(other, who);
    let mut e = ce("o-10", "shop", "order_placed", "C-2", &ago(1), json!({}));
    e["customername"] = json!("Bruno Bianchi");
    let bruno = s.events(&shop["shop"], ONE, e).await.json["customer_id"].as_str().unwrap().to_string();
    let r = s.get(&format!("/api/v1/customers?ids={who},{bruno},{}", Uuid::now_v7()), &agent).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let names: Vec<&str> =
        r.json["customers"].as_array().unwrap().iter().map(|c| c["display_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Zoe Quintero", "Bruno Bianchi"], "in the order asked, the unknown one left out");
    let r = s.get(&format!("/api/v1/customers?ids={who},zoe"), &agent).await;
    assert_eq!((r.status, r.code()), (400, "invalid-parameter"), "{}", r.json);
    let many: Vec<String> = (0..101).map(|_| Uuid::now_v7().to_string()).collect();
    let r = s.get(&format!("/api/v1/customers?ids={}", many.join(",")), &agent).await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("up to 100"), "{}", r.json);

    // The console: a sync names the customers of the cases it pulled; the card is kept.
    let dir = tempfile::tempdir().unwrap();
    let local = LocalStore::open(&dir.path().join("anna.db")).await.unwrap();
    let api = ApiClient::new(&s.base, &agent).unwrap();
    let lena = s.agent("lena", Role::Lead, &["support"]).await.1;
    let me = s.get("/api/v1/me", &agent).await.json["agent"]["id"].as_str().unwrap().to_string();
    let r = s
        .post("/api/v1/cases", &lena, json!({"customer_id": bruno, "subject": "Where is it", "assignee_id": me}))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    sync_round(&local, &api).await.unwrap();
    let ids: Vec<Uuid> = [&who, &bruno].iter().map(|i| i.parse().unwrap()).collect();
    let named = local.cached_customers(&ids).await.unwrap();
    assert_eq!(named.len(), 2, "both customers of the pulled cases are named: {named:?}");
    assert_eq!(named[&ids[1]].display_name, "Bruno Bianchi");
    let card = api.card(ids[0]).await.unwrap();
    local.cache_card(&card).await.unwrap();
    let kept = local.cached_card(ids[0]).await.unwrap().unwrap();
    assert_eq!(kept, card, "offline, the card as it was read");
    local.close().await;
}

both_backends!(card_sums_what_each_source_says);

/// A server given its own card rules (`casebook serve --card FILE`) shows those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_its_own_card_rules() {
    let rules = CardRules::parse(
        r#"
[[fact]]
label = "Shop refunds 1y"
kinds = ["refund"]
sources = ["shop"]
measure = "count"
window = "52w"
warn_at = 1
"#,
    )
    .unwrap();
    let options = casebook::server::ServeOptions { card: Some(std::sync::Arc::new(rules)), ..Default::default() };
    let Some(s) = TestServer::start_with(common::Backend::Sqlite, options).await else { return };
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = tokens(&s).await;
    let who = send(&s, &shop, "r-1", "shop", "refund", 100, json!({})).await;
    send(&s, &shop, "r-2", "billing", "refund", 100, json!({})).await; // another source: not counted
    let card = s.get(&format!("/api/v1/customers/{who}/card"), &agent).await.json;
    let facts = card["facts"].as_array().unwrap();
    assert_eq!(facts.len(), 1, "{card}");
    assert_eq!(
        (&facts[0]["label"], &facts[0]["value"], &facts[0]["warn"]),
        (&json!("Shop refunds 1y"), &json!(1.0), &json!(true))
    );
    s.finish().await;
}
