//! History import into real databases, on SQLite and PostgreSQL: a CSV file of past orders
//! through a column mapping and a Zendesk-style tickets export (with solved tickets as closed
//! cases), read as `casebook import` reads them, then seen through the API as an agent sees
//! them. Bad rows are reported by number and the rest go in; a rerun adds nothing; history
//! fires no rules.

mod common;

use casebook::commands::import::{csv_records, import, jsonl_records, zendesk_records, ImportReport};
use casebook::domain::agent::Role;
use casebook::integrations::import::csv::CsvMapping;
use common::{ce, TestServer};
use serde_json::{json, Value};

const ORDERS: &str = r#"
source = "shop"
kind_column = "event"
title = "Order {order_id}: {total} {currency|upper}"
body = "{items}"
[kinds]
"placed" = "order_placed"
"payment failed" = "payment_failed"
[columns]
id = "order_id"
time = "created_at"
subject = "customer_id"
email = "email"
name = "customer"
"#;

fn csv_file() -> String {
    [
        "order_id,event,created_at,customer_id,email,customer,total,currency,items",
        "1001,placed,2024-05-01 12:00:00,C-7,noor@example.com,Noor Haddad,42.50,eur,\"Mug, \"\"Tea\"\" set\nand a card\"",
        "1002,placed,2024-05-02T08:00:00Z,C-8,,Ali 🧉,10.00,eur,مرحبا",
        "1003,placed,yesterday,C-9,,Bad Time,1.00,eur,x",
        ",placed,2024-05-03,C-9,,No Id,1.00,eur,x",
        "1004,payment failed,2024-05-04,C-7,noor@example.com,Noor Haddad,42.50,eur,card declined",
        "1005,payment failed,2024-05-05,C-7,noor@example.com,Noor Haddad,42.50,eur,card declined again",
        "1006,placed,2024-05-06,C-10,,Too few",
    ]
    .join("\n")
}

async fn run_csv(s: &TestServer) -> ImportReport {
    let mapping = CsvMapping::parse(ORDERS).unwrap();
    let records = csv_records(std::io::Cursor::new(csv_file().into_bytes()), mapping).unwrap();
    import(records, Some(&s.store), None, 2, |_, _| {}).await.unwrap()
}

async fn titles(s: &TestServer, token: &str, customer: &str) -> Vec<String> {
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline"), token).await;
    assert_eq!(t.status, 200, "{}", t.json);
    t.json["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_string()).collect()
}

async fn a_csv_of_past_orders_lands_on_the_right_customers(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    s.agent("bill", Role::Agent, &["billing"]).await;
    // Noor is known already, by email, from a live event; and the payment rule is on.
    let shop = s.ingest_token("web").await;
    let mut live = ce("w-1", "web", "signed_up", "U-1", "2024-04-01T00:00:00Z", json!({}));
    live["customeremail"] = json!("noor@example.com");
    let noor =
        s.events(&shop, "application/cloudevents+json", live).await.json["customer_id"].as_str().unwrap().to_string();
    let r = s.patch("/api/v1/rules/payment-failure-repeated", &admin, json!({"enabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.json);

    let report = run_csv(s).await;
    assert_eq!((report.records, report.created, report.duplicates), (7, 4, 0), "{report:?}");
    let refused: Vec<u64> = report.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, [3, 4, 7], "{report:?}");
    assert!(report.refused[0].1.contains("`created_at`") && report.refused[0].1.contains("not a time"), "{report:?}");
    assert!(report.refused[1].1.contains("`order_id`"), "{report:?}");
    assert!(report.refused[2].1.contains("fields"), "{report:?}");

    let got = titles(s, &agent, &noor).await;
    assert_eq!(
        got,
        ["Order 1005: 42.50 EUR", "Order 1004: 42.50 EUR", "Order 1001: 42.50 EUR", "Signed up"],
        "newest first"
    );
    let t = s.get(&format!("/api/v1/customers/{noor}/timeline"), &agent).await;
    let first_order = &t.json["events"][2];
    assert_eq!(first_order["body"], "Mug, \"Tea\" set\nand a card", "a quoted field with a line break, whole");
    assert_eq!(first_order["data"]["row"]["customer"], "Noor Haddad");
    // History is not news: two past payment failures open no case.
    let cases = s.get(&format!("/api/v1/cases?customer_id={noor}"), &admin).await;
    assert_eq!(cases.json["cases"], json!([]), "{}", cases.json);

    let found = s.get("/api/v1/customers?q=Ali", &agent).await;
    let ali = found.json["customers"][0]["id"].as_str().unwrap().to_string();
    let t = s.get(&format!("/api/v1/customers/{ali}/timeline"), &agent).await;
    assert_eq!(t.json["events"][0]["body"], "مرحبا");

    // A rerun after a crash: nothing twice.
    let again = run_csv(s).await;
    assert_eq!((again.created, again.duplicates, again.refused.len()), (0, 4, 3), "{again:?}");
    assert_eq!(titles(s, &agent, &noor).await.len(), 4, "three orders and the sign-up");
}

fn tickets() -> Vec<Value> {
    vec![
        json!({"id": 35436, "subject": "Help, my printer is on fire!", "description": "The fire is very colorful.",
               "status": "solved", "priority": "high", "requester_id": 20978392, "created_at": "2024-03-01T09:00:00Z",
               "updated_at": "2024-03-02T10:00:00Z", "via": {"channel": "email"},
               "requester": {"email": "jo@example.com", "name": "Jo Smith"},
               "satisfaction_rating": {"score": "bad", "comment": "Still smoking"},
               "comments": [
                   {"id": 1, "author_id": 20978392, "body": "The fire is very colorful.", "public": true, "created_at": "2024-03-01T09:00:00Z"},
                   {"id": 2, "author_id": 5, "body": "Have you tried water?", "public": true, "created_at": "2024-03-01T10:00:00Z"}]}),
        json!({"id": 35437, "subject": "Where is my order?", "status": "open", "requester_id": 20978392,
               "created_at": "2024-03-05T09:00:00Z"}),
        json!({"id": 35438, "subject": "Nobody asked", "status": "new", "created_at": "2024-03-05T09:00:00Z"}),
    ]
}

async fn run_zendesk(s: &TestServer, file: Vec<u8>) -> ImportReport {
    let records = zendesk_records(std::io::Cursor::new(file), "helpdesk".into(), true).unwrap();
    import(records, Some(&s.store), Some("general"), 1000, |_, _| {}).await.unwrap()
}

async fn zendesk_tickets_become_events_and_closed_cases(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let lines: Vec<String> = tickets().iter().map(Value::to_string).collect();
    let report = run_zendesk(s, lines.join("\n").into_bytes()).await;
    assert_eq!((report.records, report.created, report.cases), (3, 4, 1), "{report:?}");
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(report.refused[0].1.contains("names no requester"), "{report:?}");

    let found = s.get("/api/v1/customers?q=jo@example.com", &agent).await;
    let jo = found.json["customers"][0]["id"].as_str().unwrap().to_string();
    let got = titles(s, &agent, &jo).await;
    assert_eq!(
        got,
        [
            "Ticket #35437 opened: Where is my order?",
            "Ticket #35436 solved",
            "Reply on ticket #35436",
            "Ticket #35436 opened: Help, my printer is on fire!"
        ]
    );
    let cases = s.get(&format!("/api/v1/cases?customer_id={jo}"), &agent).await;
    let list = cases.json["cases"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", cases.json);
    let case = &list[0];
    assert_eq!(
        (case["status"].as_str(), case["priority"].as_str(), case["channel"].as_str()),
        (Some("closed"), Some("high"), Some("email"))
    );
    assert_eq!(case["resolution"]["outcome"], "negative");
    assert_eq!(case["created_at"].as_str().unwrap()[..10], *"2024-03-01");
    // The ticket's events show on its case.
    let t = s.get(&format!("/api/v1/customers/{jo}/timeline"), &agent).await;
    let on_case = t.json["events"].as_array().unwrap().iter().filter(|e| e["case_id"] == case["id"]).count();
    assert_eq!(on_case, 3, "{}", t.json);

    // The same export again, as the API document this time: nothing twice.
    let doc = json!({"tickets": tickets(), "users": [{"id": 20978392, "email": "jo@example.com", "name": "Jo Smith"}]});
    let again = run_zendesk(s, doc.to_string().into_bytes()).await;
    assert_eq!((again.created, again.duplicates, again.cases), (0, 4, 0), "{again:?}");
    let cases = s.get(&format!("/api/v1/cases?customer_id={jo}"), &agent).await;
    assert_eq!(cases.json["cases"].as_array().unwrap().len(), 1);
}

async fn json_lines_with_nul_and_big_lines_are_refused_by_number(s: &TestServer) {
    let good = ce("j-1", "shop", "order_placed", "C-1", "2024-01-01T00:00:00Z", json!({"title": "Order 🎁"}));
    let nul = ce("j-2", "shop", "order_placed", "C-1", "2024-01-01T00:00:00Z", json!({"title": "a\u{0}b"}));
    let big = ce("j-3", "shop", "order_placed", "C-1", "2024-01-01T00:00:00Z", json!({"body": "x".repeat(300 * 1024)}));
    let file = [good.to_string(), nul.to_string(), String::new(), big.to_string(), "{not json".into()].join("\n");
    let r = import(jsonl_records(std::io::Cursor::new(file.into_bytes())), Some(&s.store), None, 10, |_, _| {})
        .await
        .unwrap();
    assert_eq!(r.created, 1, "{r:?}");
    let refused: Vec<u64> = r.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, [2, 4, 5], "{r:?}");
    assert!(r.refused[0].1.contains("NUL") || r.refused[0].1.contains("U+0000"), "{r:?}");
}

both_backends!(
    a_csv_of_past_orders_lands_on_the_right_customers,
    zendesk_tickets_become_events_and_closed_cases,
    json_lines_with_nul_and_big_lines_are_refused_by_number,
);
