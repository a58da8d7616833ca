//! Rules over loopback, on SQLite and PostgreSQL: an admin turns a rule on through the API,
//! events and case work arrive as they do from real systems and agents, and the rule acts —
//! once per event however often it is sent, never on its own work, and never on the past. A dry
//! run shows what a rule would have done and writes nothing.

mod common;

use casebook::domain::agent::Role;
use common::{ce, Backend, TestServer};
use serde_json::{json, Value};

fn ago(hours: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(hours)).to_rfc3339()
}

fn payment_failed(id: &str, subject: &str, hours_ago: i64) -> Value {
    ce(
        id,
        "billing",
        "payment_failed",
        subject,
        &ago(hours_ago),
        json!({"amount": 156.10, "currency": "EUR", "reason": "card declined"}),
    )
}

async fn post_event(s: &TestServer, token: &str, event: Value) -> Value {
    let r = s.events(token, "application/cloudevents+json", event).await;
    assert!(r.status == 201 || r.status == 200, "{}: {}", r.status, r.json);
    r.json
}

async fn enable(s: &TestServer, admin: &str, name: &str) {
    let r = s.patch(&format!("/api/v1/rules/{name}"), admin, json!({"enabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["enabled"], true);
}

async fn cases_of(s: &TestServer, token: &str, customer: &str) -> Vec<Value> {
    let r = s.get(&format!("/api/v1/cases?customer_id={customer}"), token).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["cases"].as_array().unwrap().clone()
}

async fn followups_of(s: &TestServer, token: &str, customer: &str) -> Vec<Value> {
    let r = s.get(&format!("/api/v1/followups?customer_id={customer}"), token).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["followups"].as_array().unwrap().clone()
}

async fn firings(s: &TestServer, admin: &str, name: &str) -> Vec<Value> {
    let r = s.get(&format!("/api/v1/rules/{name}/firings"), admin).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json.as_array().unwrap().clone()
}

async fn repeated_payment_failure_opens_one_proactive_case(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (busy, busy_token) = s.agent("bea", Role::Agent, &["billing"]).await;
    let (free, _) = s.agent("bill", Role::Agent, &["billing"]).await;
    let billing = s.ingest_token("billing").await;

    // Off until enabled: two failures change nothing.
    post_event(s, &billing, payment_failed("pf-0", "cus_0", 30)).await;
    let r = post_event(s, &billing, payment_failed("pf-00", "cus_0", 20)).await;
    let quiet = r["customer_id"].as_str().unwrap().to_string();
    assert!(cases_of(s, &admin, &quiet).await.is_empty());

    let listed = s.get("/api/v1/rules", &admin).await;
    assert_eq!(listed.status, 200);
    let names: Vec<&str> = listed.json.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"payment-failure-repeated"), "{names:?}");
    enable(s, &admin, "payment-failure-repeated").await;

    // bea has a case waiting; bill has none, so the proactive case goes to bill.
    let other = s.customer(&s.ingest_token("shop").await, "someone-else").await;
    let r = s
        .post(
            "/api/v1/cases",
            &busy_token,
            json!({"customer_id": other, "subject": "waiting", "team": "billing", "assignee_id": busy.id}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);

    // The first failure is news but not a pattern.
    let first = post_event(s, &billing, payment_failed("pf-1", "cus_1", 48)).await;
    let customer = first["customer_id"].as_str().unwrap().to_string();
    assert!(cases_of(s, &admin, &customer).await.is_empty(), "one failure opens nothing");

    // The second within 7 days opens a high-priority billing case, tags the customer.
    let second = payment_failed("pf-2", "cus_1", 1);
    post_event(s, &billing, second.clone()).await;
    let cases = cases_of(s, &admin, &customer).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = &cases[0];
    assert_eq!(case["queue"], "billing");
    assert_eq!(case["priority"], "high");
    assert_eq!(case["assignee_id"], json!(free.id), "the least-loaded billing agent");
    assert!(case["subject"].as_str().unwrap().starts_with("Payment failed again: "), "{case}");
    let c = s.get(&format!("/api/v1/customers/{customer}"), &admin).await;
    assert!(c.json["tags"].as_array().unwrap().contains(&json!("payment-risk")), "{}", c.json);

    // The event that fired it is on the case, and the case says why it was opened.
    let case_id = case["id"].as_str().unwrap();
    let full = s.get(&format!("/api/v1/cases/{case_id}"), &admin).await;
    assert_eq!(full.status, 200, "{}", full.json);
    let text = full.json.to_string();
    assert!(text.contains("Opened by rule payment-failure-repeated"), "{text}");

    // A retry of the same event (a sender that did not hear the answer) does nothing more.
    post_event(s, &billing, second.clone()).await;
    // A third failure: the customer has the case open in billing already.
    post_event(s, &billing, payment_failed("pf-3", "cus_1", 0)).await;
    assert_eq!(cases_of(s, &admin, &customer).await.len(), 1);
    let log = firings(s, &admin, "payment-failure-repeated").await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0]["actions"][0].as_str().unwrap().starts_with("opened no case"), "{log:?}");
    assert!(log[1]["actions"][0].as_str().unwrap().starts_with("opened case"), "{log:?}");
    // Enabling is not retroactive: the customer with two failures before stays untouched.
    assert!(cases_of(s, &admin, &quiet).await.is_empty());
}

async fn nps_detractor_gets_a_follow_up_from_the_last_agent(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (anna, anna_token) = s.agent("anna", Role::Agent, &["support"]).await;
    let surveys = s.ingest_token("survey").await;
    enable(s, &admin, "nps-detractor-follow-up").await;

    let customer = s.customer(&s.ingest_token("shop").await, "nps-1").await;
    let r = s.post("/api/v1/cases", &anna_token, json!({"customer_id": customer, "subject": "Late parcel"})).await;
    assert_eq!(r.status, 201, "{}", r.json);

    let mut happy = ce("nps-a", "survey", "nps_response", "nps-1", &ago(0), json!({"score": 9}));
    happy["casebookcustomer"] = json!(customer);
    post_event(s, &surveys, happy).await;
    assert!(followups_of(s, &admin, &customer).await.is_empty(), "a promoter needs no call");

    let mut sad = ce("nps-b", "survey", "nps_response", "nps-1", &ago(0), json!({"score": 3}));
    sad["casebookcustomer"] = json!(customer);
    sad["data"]["comment"] = json!("مرحبا — still waiting 📦");
    post_event(s, &surveys, sad).await;
    let f = followups_of(s, &admin, &customer).await;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["assignee_id"], json!(anna.id), "the customer's last agent");
    let due = chrono::DateTime::parse_from_rfc3339(f[0]["due_at"].as_str().unwrap()).unwrap();
    let minutes = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((55..=60).contains(&minutes), "due within the hour: {minutes} min");
    assert!(f[0]["note"].as_str().unwrap().starts_with("NPS 3/10"), "{}", f[0]);
}

async fn negative_outcome_gets_a_follow_up_in_minutes(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (anna, token) = s.agent("anna", Role::Agent, &["support"]).await;
    enable(s, &admin, "negative-outcome-follow-up").await;
    let customer = s.customer(&s.ingest_token("shop").await, "neg-1").await;

    for (subject, outcome) in [("Went well", "positive"), ("Wrong size delivered", "negative")] {
        let r = s.post("/api/v1/cases", &token, json!({"customer_id": customer, "subject": subject})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        let case = r.json["id"].as_str().unwrap().to_string();
        let r = s
            .put(
                &format!("/api/v1/cases/{case}/resolution"),
                &token,
                json!({"revision": 1, "summary": "done", "root_cause": ["size chart"], "outcome": outcome,
                       "rasa_incomplete_reason": "the customer hung up"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let f = followups_of(s, &admin, &customer).await;
    assert_eq!(f.len(), 1, "only the negative outcome: {f:?}");
    assert_eq!(f[0]["assignee_id"], json!(anna.id));
    assert!(f[0]["note"].as_str().unwrap().contains("Wrong size delivered"), "{}", f[0]);
    let due = chrono::DateTime::parse_from_rfc3339(f[0]["due_at"].as_str().unwrap()).unwrap();
    let minutes = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((10..=15).contains(&minutes), "{minutes} min");
}

async fn a_rule_routes_new_cases(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let (anna, _) = s.agent("anna", Role::Agent, &["support"]).await;
    let (bruno, _) = s.agent("bruno", Role::Agent, &["support"]).await;
    let rule = r#"
description = "Urgent cases go to whoever has least waiting"
[when]
source = "casebook"
kind = "case.opened"
[[when.data]]
path = "case.priority"
op = "equals"
value = "urgent"
[[then]]
do = "route"
assign = "least_loaded"
"#;
    let r = s.put("/api/v1/rules/urgent-to-least-loaded", &admin, json!({"definition": rule, "enabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["enabled"], true);
    let customer = s.customer(&s.ingest_token("shop").await, "route-1").await;
    // anna has two waiting cases, bruno none.
    for i in 0..2 {
        let r = s
            .post(
                "/api/v1/cases",
                &lead,
                json!({"customer_id": customer, "subject": format!("w{i}"), "assignee_id": anna.id}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json["assignee_id"], json!(anna.id), "not urgent: not routed");
    }
    let r = s
        .post(
            "/api/v1/cases",
            &lead,
            json!({"customer_id": customer, "subject": "Site down", "priority": "urgent", "assignee_id": anna.id}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["assignee_id"], json!(bruno.id), "the answer shows the case as routed: {}", r.json);
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(s.get(&format!("/api/v1/cases/{id}"), &lead).await.json["assignee_id"], json!(bruno.id));
}

async fn a_dry_run_shows_what_would_fire_and_writes_nothing(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let billing = s.ingest_token("billing").await;
    post_event(s, &billing, payment_failed("d-1", "cus_d", 72)).await;
    let r = post_event(s, &billing, payment_failed("d-2", "cus_d", 24)).await;
    let customer = r["customer_id"].as_str().unwrap().to_string();
    // Long ago, beyond 7 days of any other: would not fire.
    post_event(s, &billing, payment_failed("d-old", "cus_e", 24 * 20)).await;

    let r = s.post("/api/v1/rules/payment-failure-repeated/test?since=30d", &admin, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["examined"], 3, "{}", r.json);
    assert_eq!(r.json["matched"], 1, "{}", r.json);
    let fire = &r.json["fires"][0];
    assert_eq!(fire["customer_id"], json!(customer));
    assert_eq!(fire["fired"], false);
    let actions: Vec<&str> = fire["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(actions[0].contains("billing"), "{actions:?}");
    assert!(actions[1].contains("payment-risk"), "{actions:?}");
    // A shorter look back sees only the later event, which still counts the earlier one.
    let r = s.post("/api/v1/rules/payment-failure-repeated/test?since=2d&show=0", &admin, json!({})).await;
    assert_eq!((r.json["examined"].clone(), r.json["matched"].clone()), (json!(1), json!(1)), "{}", r.json);
    assert!(r.json["fires"].as_array().unwrap().is_empty());

    assert!(cases_of(s, &admin, &customer).await.is_empty(), "a dry run opens no case");
    assert!(firings(s, &admin, "payment-failure-repeated").await.is_empty());
    let c = s.get(&format!("/api/v1/customers/{customer}"), &admin).await;
    assert_eq!(c.json["tags"], json!([]), "{}", c.json);
    let rule = s.get("/api/v1/rules/payment-failure-repeated", &admin).await;
    assert_eq!(rule.json["enabled"], false, "testing does not turn it on");
}

async fn bad_rules_and_requests_say_what_to_fix(s: &TestServer) {
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;

    let r = s.get("/api/v1/rules", &agent).await;
    assert_eq!(r.status, 403, "{}", r.json);
    let r = s.patch("/api/v1/rules/payment-failure-repeated", &agent, json!({"enabled": true})).await;
    assert_eq!(r.status, 403, "{}", r.json);

    let cases: [(&str, &str); 4] = [
        ("[when\nkind = 1", "the rule"),
        ("[when]\nkind = \"x\"\n[[then]]\ndo = \"explode\"", "explode"),
        ("[when]\nkind = \"x\"\n[[when.count]]\nkind = \"y\"\nwithin = \"forever\"\nat_least = 2\n[[then]]\ndo = \"tag_customer\"\ntag = \"t\"", "forever"),
        ("[when]\nkind = \"x\"\n[[then]]\ndo = \"open_case\"\nqueue = \"general\"\nsubject = \"{event.nope}\"", "event.nope"),
    ];
    for (definition, says) in cases {
        let r = s.put("/api/v1/rules/broken", &admin, json!({"definition": definition})).await;
        assert!(r.status == 400 || r.status == 422, "{definition}: {} {}", r.status, r.json);
        assert!(r.json["detail"].as_str().unwrap_or_default().contains(says), "{definition}: {}", r.json);
    }
    assert_eq!(s.get("/api/v1/rules/broken", &admin).await.status, 404, "nothing stored");

    let r = s
        .put(
            "/api/v1/rules/Not%20A%20Name",
            &admin,
            json!({"definition": "[when]\nkind=\"x\"\n[[then]]\ndo=\"tag_customer\"\ntag=\"t\""}),
        )
        .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.json);
    let r = s.post("/api/v1/rules/payment-failure-repeated/test?since=soon", &admin, json!({})).await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("since"), "{}", r.json);
    let r = s.post("/api/v1/rules/nope/test", &admin, json!({})).await;
    assert_eq!(r.status, 404, "{}", r.json);
    let r = s.send(reqwest::Method::DELETE, "/api/v1/rules/nope", Some(&admin), None).await;
    assert_eq!(r.status, 404, "{}", r.json);

    // A stored rule that no longer reads (a database from a casebook with looser checks) is
    // listed with why, never fired, and cannot be tried or turned on until it is set again;
    // events still go in.
    let mut tx = s.store.begin_write().await.unwrap();
    sqlx::query("INSERT INTO rules (name, definition, enabled, created_at, updated_at) VALUES ('old', '[when]\nkind = \"x\"\n[[then]]\ndo = \"tag_customer\"\ntag = \"{event.nope}\"\nextra = 1', 1, 0, 0)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = s.get("/api/v1/rules", &admin).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let old = r.json.as_array().unwrap().iter().find(|r| r["name"] == "old").unwrap().clone();
    assert!(old["description"].as_str().unwrap().contains("does not read"), "{old}");
    let r = s.post("/api/v1/rules/old/test", &admin, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.json);
    let r = s.patch("/api/v1/rules/old", &admin, json!({"enabled": true})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    let shop = s.ingest_token("shop").await;
    let r = s
        .events(&shop, "application/cloudevents+json", ce("x-1", "shop", "x", "C-x", "2024-01-01T00:00:00Z", json!({})))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);

    // A built-in rule, enabled, changed, removed: back to its shipped self, off.
    enable(s, &admin, "error-after-order").await;
    let r = s.send(reqwest::Method::DELETE, "/api/v1/rules/error-after-order", Some(&admin), None).await;
    assert_eq!(r.status, 204);
    let r = s.get("/api/v1/rules/error-after-order", &admin).await;
    assert_eq!((r.json["enabled"].clone(), r.json["stored"].clone()), (json!(false), json!(false)), "{}", r.json);
}

both_backends!(
    repeated_payment_failure_opens_one_proactive_case,
    nps_detractor_gets_a_follow_up_from_the_last_agent,
    negative_outcome_gets_a_follow_up_in_minutes,
    a_rule_routes_new_cases,
    a_dry_run_shows_what_would_fire_and_writes_nothing,
    bad_rules_and_requests_say_what_to_fix,
);

/// Two API nodes receive the same second failure at the same moment (a sender retrying on
/// another node): one case, one firing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_fire_a_rule_once() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (node_b, store_b) = s.second_node().await;
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    s.agent("bill", Role::Agent, &["billing"]).await;
    let billing = s.ingest_token("billing").await;
    enable(&s, &admin, "payment-failure-repeated").await;
    let mut customers = Vec::new();
    for i in 0..5 {
        let r = post_event(&s, &billing, payment_failed(&format!("r-{i}-a"), &format!("cus_r{i}"), 5)).await;
        customers.push(r["customer_id"].as_str().unwrap().to_string());
    }
    let bases = [s.base.clone(), node_b.url()];
    let mut tasks = Vec::new();
    for i in 0..5 {
        for base in &bases {
            for _ in 0..2 {
                let (client, base, token) = (s.client.clone(), base.clone(), billing.clone());
                let e = payment_failed(&format!("r-{i}-b"), &format!("cus_r{i}"), 1);
                tasks.push(tokio::spawn(async move {
                    client
                        .post(format!("{base}/api/v1/events"))
                        .bearer_auth(token)
                        .header("content-type", "application/cloudevents+json")
                        .json(&e)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                }));
            }
        }
    }
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == 200 || status == 201, "{status}");
    }
    for c in &customers {
        assert_eq!(cases_of(&s, &admin, c).await.len(), 1, "one proactive case for {c}");
    }
    assert_eq!(firings(&s, &admin, "payment-failure-repeated").await.len(), 5);
    node_b.stop().await;
    store_b.close().await;
    s.finish().await;
}
