//! The shared API over real HTTP on loopback, on SQLite and on PostgreSQL. Every answer is
//! also checked against the OpenAPI document by the harness.

mod common;

use casebook::domain::agent::Role;
use common::{ce, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const SINGLE: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";

both_backends!(
    health_me_and_agents,
    ingestion_links_customers_and_is_idempotent,
    timeline_pages_filters_and_refuses_bad_input,
    timeline_rows_are_the_list_and_an_event_reads_whole,
    customer_search,
    case_lifecycle,
    followups,
    bad_input_gets_problems,
    change_feed,
    presence,
);

async fn health_me_and_agents(s: &TestServer) {
    let r = s.send(Method::GET, "/healthz", None, None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    let r = s.send(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["openapi"], "3.1.0");

    let (anna, token) = s.agent("anna", Role::Agent, &["support"]).await;
    let me = s.get("/api/v1/me", &token).await;
    assert_eq!(me.json["kind"], "agent");
    assert_eq!(me.json["agent"]["id"], anna.id.to_string());
    let ingest = s.ingest_token("shop").await;
    let me = s.get("/api/v1/me", &ingest).await;
    assert_eq!((me.json["kind"].as_str(), me.json["source"].as_str()), (Some("ingest"), Some("shop")));

    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let r = s.post("/api/v1/agents", &admin, json!({"name": "bruno", "role": "lead", "teams": ["support"]})).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let bruno_token = r.json["token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/v1/me", &bruno_token).await.json["agent"]["role"], "lead");
    let r = s.post("/api/v1/agents", &admin, json!({"name": "bruno", "role": "agent"})).await;
    assert_eq!((r.status, r.code()), (409, "already-exists"));
    let r = s.post("/api/v1/agents", &admin, json!({"name": "x", "role": "boss"})).await;
    assert_eq!(r.status, 422);
    assert!(r.json["detail"].as_str().unwrap().contains("unknown variant"), "{}", r.json);
    let list = s.get("/api/v1/agents", &token).await;
    assert_eq!(list.json["agents"].as_array().unwrap().len(), 3);
    let r = s.post("/api/v1/ingest-tokens", &admin, json!({"source": "billing"})).await;
    assert_eq!(r.status, 201);
    let billing = r.json["token"].as_str().unwrap();
    let r = s
        .events(billing, SINGLE, ce("b1", "billing", "payment_failed", "A-1", "2024-01-01T00:00:00Z", json!({})))
        .await;
    assert_eq!(r.status, 201);
}

async fn ingestion_links_customers_and_is_idempotent(s: &TestServer) {
    let shop = s.ingest_token("shop").await;
    let billing = s.ingest_token("billing").await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;

    let mut first = ce(
        "o-1",
        "https://shop.example/shop",
        "order_placed",
        "C-1042",
        "2024-05-01T12:00:00Z",
        json!({"title": "Order #1 placed", "total": 42.5}),
    );
    first["customeremail"] = json!("Anna.Rossi@Example.com");
    first["customername"] = json!("Anna Rossi");
    let r = s.events(&shop, SINGLE, first.clone()).await;
    assert_eq!((r.status, r.json["status"].as_str()), (201, Some("created")), "{}", r.json);
    let customer = r.json["customer_id"].as_str().unwrap().to_string();

    // The same event again changes nothing and says so.
    let again = s.events(&shop, SINGLE, first).await;
    assert_eq!((again.status, again.json["status"].as_str()), (200, Some("duplicate")));
    assert_eq!(again.json["event_id"], r.json["event_id"]);

    // Another system, another id for the customer, the same email: the same customer.
    let mut pay = ce(
        "p-9",
        "billing",
        "payment_failed",
        "ACCT-7",
        "2024-05-02T09:00:00Z",
        json!({"title": "Card declined", "body": "Insufficient funds"}),
    );
    pay["customeremail"] = json!("anna.rossi@example.com");
    let batch = json!([
        pay,
        ce("p-10", "billing", "payment_succeeded", "ACCT-7", "2024-05-03T09:00:00Z", json!({})),
        ce("p-11", "billing", "invoice_issued", "ACCT-99", "2024-05-03T10:00:00Z", json!({})),
        {"specversion": "1.0", "id": "bad", "source": "billing", "type": "x"},
        ce("p-12", "shop", "order_placed", "C-1", "2024-05-03T10:00:00Z", json!({})),
        ce("p-10", "billing", "payment_succeeded", "ACCT-7", "2024-05-03T09:00:00Z", json!({})),
    ]);
    let r = s.events(&billing, BATCH, batch).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let results = r.json["results"].as_array().unwrap();
    let statuses: Vec<&str> = results.iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created", "created", "created", "rejected", "rejected", "duplicate"]);
    assert_eq!(results[0]["customer_id"], customer, "linked by email");
    assert_eq!(results[1]["customer_id"], customer, "linked by the billing id learnt from the first");
    assert_ne!(results[2]["customer_id"], customer, "an unknown subject is a new customer");
    assert_eq!(results[3]["problem"]["status"], 422);
    assert!(results[3]["problem"]["detail"].as_str().unwrap().contains("which customer"));
    assert_eq!(results[4]["problem"]["status"], 403);
    assert_eq!(
        (r.json["created"].as_u64(), r.json["rejected"].as_u64(), r.json["duplicates"].as_u64()),
        (Some(3), Some(2), Some(1))
    );

    // An event without data, and one with data that is not an object.
    let mut bare = ce("o-3", "shop", "order_cancelled", "C-1042", "2024-05-01T13:00:00Z", json!(null));
    bare.as_object_mut().unwrap().remove("data");
    assert_eq!(s.events(&shop, SINGLE, bare).await.status, 201);
    let text = ce("o-4", "shop", "order_note", "C-1042", "2024-05-01T13:30:00Z", json!("gift wrap, please"));
    assert_eq!(s.events(&shop, SINGLE, text).await.status, 201);

    let c = s.get(&format!("/api/v1/customers/{customer}"), &agent).await;
    assert_eq!(c.json["display_name"], "Anna Rossi");
    assert_eq!(c.json["emails"], json!(["anna.rossi@example.com"]));
    assert_eq!(c.json["external_ids"], json!({"billing": "ACCT-7", "shop": "C-1042"}));

    let t = s.get(&format!("/api/v1/customers/{customer}/timeline"), &agent).await;
    let titles: Vec<&str> = t.json["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Payment succeeded", "Card declined", "Order note", "Order cancelled", "Order #1 placed"],
        "newest first, titles from data or kind"
    );
    assert!(t.json["events"][3]["data"].is_null());
    assert_eq!(t.json["events"][2]["data"], "gift wrap, please");
    let card = &t.json["events"][1];
    assert_eq!(
        (card["source"].as_str(), card["kind"].as_str(), card["body"].as_str()),
        (Some("billing"), Some("payment_failed"), Some("Insufficient funds"))
    );

    // An event of exactly 64 KiB of data is accepted.
    let big = "x".repeat(64 * 1024);
    let r = s
        .events(&shop, SINGLE, ce("big", "shop", "note", "C-1042", "2024-05-04T00:00:00Z", json!({"body": big})))
        .await;
    assert_eq!(r.status, 201);
}

async fn timeline_pages_filters_and_refuses_bad_input(s: &TestServer) {
    let shop = s.ingest_token("shop").await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let mut batch = Vec::new();
    for i in 0..25 {
        let (source, kind) = if i % 3 == 0 { ("billing", "payment_failed") } else { ("shop", "order_placed") };
        // Some events share a time: the id breaks the tie, nothing is lost between pages.
        let time = format!("2024-03-{:02}T10:00:00Z", 1 + i / 2);
        // Subjects are per source: the email ties both systems' ids to one customer.
        let mut e = ce(&format!("e{i}"), source, kind, "C-7", &time, json!({"n": i}));
        e["customeremail"] = json!("seven@example.com");
        batch.push(e);
    }
    let r = s.events(&admin, BATCH, json!(batch)).await;
    assert_eq!(r.json["created"], 25, "{}", r.json);
    let customer = r.json["results"][0]["customer_id"].as_str().unwrap().to_string();
    let _ = shop;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/customers/{customer}/timeline?limit=7&cursor={c}"),
            None => format!("/api/v1/customers/{customer}/timeline?limit=7"),
        };
        let page = s.get(&path, &admin).await;
        assert_eq!(page.status, 200, "{}", page.json);
        for e in page.json["events"].as_array().unwrap() {
            seen.push((
                e["occurred_at"].as_str().unwrap().to_string(),
                e["source_event_id"].as_str().unwrap().to_string(),
            ));
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(
        seen.iter().map(|x| &x.0).collect::<Vec<_>>(),
        sorted.iter().map(|x| &x.0).collect::<Vec<_>>(),
        "newest first"
    );
    let mut ids: Vec<_> = seen.iter().map(|x| x.1.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no duplicates across pages");

    let billing = s.get(&format!("/api/v1/customers/{customer}/timeline?source=billing"), &admin).await;
    assert_eq!(billing.json["events"].as_array().unwrap().len(), 9);
    let kind =
        s.get(&format!("/api/v1/customers/{customer}/timeline?kind=order_placed&source=shop,billing"), &admin).await;
    assert_eq!(kind.json["events"].as_array().unwrap().len(), 16);

    let r = s.get(&format!("/api/v1/customers/{customer}/timeline?cursor=garbage"), &admin).await;
    assert_eq!((r.status, r.code()), (400, "invalid-cursor"));
    let r = s.get(&format!("/api/v1/customers/{customer}/timeline?limit=0"), &admin).await;
    assert_eq!((r.status, r.code()), (400, "invalid-parameter"));
    let r = s.get(&format!("/api/v1/customers/{customer}/timeline?source=Not%20A%20Source"), &admin).await;
    assert_eq!(r.status, 400);
    let r = s.get("/api/v1/customers/0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e/timeline", &admin).await;
    assert_eq!((r.status, r.code()), (404, "not-found"));
    let r = s.get("/api/v1/customers/not-an-id/timeline", &admin).await;
    assert_eq!((r.status, r.code()), (400, "invalid-id"));
    // A cursor from another list is refused.
    let cases = s.get("/api/v1/customers?limit=1&q=c", &admin).await;
    if let Some(c) = cases.json["next_cursor"].as_str() {
        let r = s.get(&format!("/api/v1/customers/{customer}/timeline?cursor={c}"), &admin).await;
        assert_eq!(r.status, 400);
    }
}

/// The list's rows: the same events in the same order as the whole timeline, without their
/// text and data but a survey's score; one event read whole by its id.
async fn timeline_rows_are_the_list_and_an_event_reads_whole(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let mut batch = Vec::new();
    for i in 0..12 {
        let (source, kind, data) = match i % 3 {
            0 => ("survey", "nps_response", json!({"score": i % 11, "comment": "x".repeat(400)})),
            1 => (
                "shop",
                "order_placed",
                json!({"title": format!("Order #{i}"), "body": "Two items 📦", "lines": [1, 2, 3]}),
            ),
            _ => ("billing", "payment_failed", json!({"amount": 42.5})),
        };
        let time = format!("2024-03-{:02}T10:00:00Z", 1 + i / 2);
        let mut e = ce(&format!("r{i}"), source, kind, "C-9", &time, data);
        e["customeremail"] = json!("nine@example.com");
        batch.push(e);
    }
    let r = s.events(&admin, BATCH, json!(batch)).await;
    assert_eq!(r.json["created"], 12, "{}", r.json);
    let customer = r.json["results"][0]["customer_id"].as_str().unwrap().to_string();

    let whole = s.get(&format!("/api/v1/customers/{customer}/timeline?limit=50"), &admin).await;
    let rows = s.get(&format!("/api/v1/customers/{customer}/timeline/rows?limit=50"), &admin).await;
    assert_eq!(rows.status, 200, "{}", rows.json);
    common::conforms(
        &Method::GET,
        &format!("/api/v1/customers/{customer}/timeline/rows"),
        200,
        "application/json",
        &rows.json,
    );
    let events = whole.json["events"].as_array().unwrap();
    let list = rows.json["rows"].as_array().unwrap();
    assert_eq!(list.len(), events.len());
    for (row, e) in list.iter().zip(events) {
        for k in ["id", "occurred_at", "source", "kind", "title"] {
            assert_eq!(row[k], e[k], "{k}");
        }
        assert!(row.get("data").is_none() && row.get("body").is_none() && row.get("source_event_id").is_none());
        match e["kind"].as_str().unwrap() {
            "nps_response" => assert_eq!(row["score"], e["data"]["score"], "{row}"),
            _ => assert!(row.get("score").is_none(), "{row}"),
        }
    }
    let (a, b) = (rows.json.to_string().len(), whole.json.to_string().len());
    assert!(a * 2 < b, "the list is smaller: {a} bytes against {b}");
    // Paged and filtered as the whole timeline is.
    let first = s.get(&format!("/api/v1/customers/{customer}/timeline/rows?limit=5&source=survey,shop"), &admin).await;
    assert_eq!(first.json["rows"].as_array().unwrap().len(), 5);
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let rest = s
        .get(&format!("/api/v1/customers/{customer}/timeline/rows?limit=50&source=survey,shop&cursor={cursor}"), &admin)
        .await;
    assert_eq!(rest.json["rows"].as_array().unwrap().len(), 3);
    assert!(rest.json["next_cursor"].is_null());

    // One event, whole.
    let id = list[1]["id"].as_str().unwrap();
    let r = s.get(&format!("/api/v1/events/{id}"), &admin).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json, events[1]);
    common::conforms(&Method::GET, &format!("/api/v1/events/{id}"), 200, "application/json", &r.json);
    let r = s.get(&format!("/api/v1/events/{}", uuid::Uuid::now_v7()), &admin).await;
    assert_eq!((r.status, r.code()), (404, "not-found"));
    let r = s.get("/api/v1/events/not-an-id", &admin).await;
    assert_eq!((r.status, r.code()), (400, "invalid-id"));
    let r = s.get("/api/v1/customers/0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e/timeline/rows", &admin).await;
    assert_eq!((r.status, r.code()), (404, "not-found"));
}

async fn customer_search(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let people = [
        ("C-1", "Anna Rossi", "anna.rossi@example.com", "+39 333 1234567"),
        ("C-2", "Annalisa Bianchi", "ab@example.org", "+39 333 7654321"),
        ("C-3", "Zoë Müller", "zoe@example.net", "+49 151 2223334"),
        ("C-4", "山田 太郎", "taro@example.jp", "+81 90 1234 5678"),
    ];
    let events: Vec<Value> = people
        .iter()
        .map(|(id, name, email, phone)| {
            let mut e = ce(&format!("signup-{id}"), "shop", "signed_up", id, "2024-01-01T00:00:00Z", json!({}));
            e["customername"] = json!(name);
            e["customeremail"] = json!(email);
            e["customerphone"] = json!(phone);
            e
        })
        .collect();
    assert_eq!(s.events(&admin, BATCH, json!(events)).await.json["created"], 4);

    let names = |r: &common::Resp| -> Vec<String> {
        r.json["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["display_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&s.get("/api/v1/customers?q=anna", &admin).await), ["Anna Rossi", "Annalisa Bianchi"]);
    assert_eq!(names(&s.get("/api/v1/customers?q=ROSSI", &admin).await), ["Anna Rossi"]);
    assert_eq!(names(&s.get("/api/v1/customers?q=anna%20r", &admin).await), ["Anna Rossi"]);
    assert_eq!(names(&s.get("/api/v1/customers?q=zoe%40ex", &admin).await), ["Zoë Müller"]);
    assert_eq!(names(&s.get("/api/v1/customers?q=z", &admin).await), ["Zoë Müller"]);
    assert_eq!(
        names(&s.get("/api/v1/customers?q=333%20765", &admin).await),
        ["Annalisa Bianchi"],
        "phone without country code"
    );
    assert_eq!(names(&s.get("/api/v1/customers?q=%2B39333", &admin).await).len(), 2);
    assert_eq!(names(&s.get("/api/v1/customers?q=c-3", &admin).await), ["Zoë Müller"], "external id");
    assert_eq!(names(&s.get("/api/v1/customers?q=%E5%B1%B1%E7%94%B0", &admin).await), ["山田 太郎"]);
    assert!(names(&s.get("/api/v1/customers?q=nobody", &admin).await).is_empty());

    // Paging through everything, by name.
    let p1 = s.get("/api/v1/customers?limit=3", &admin).await;
    assert_eq!(names(&p1), ["Anna Rossi", "Annalisa Bianchi", "Zoë Müller"]);
    let c = p1.json["next_cursor"].as_str().unwrap();
    let p2 = s.get(&format!("/api/v1/customers?limit=3&cursor={c}"), &admin).await;
    assert_eq!(names(&p2), ["山田 太郎"]);
    assert!(p2.json["next_cursor"].is_null());
    // Paging a search.
    let p1 = s.get("/api/v1/customers?q=a&limit=1", &admin).await;
    let c = p1.json["next_cursor"].as_str().unwrap();
    let p2 = s.get(&format!("/api/v1/customers?q=a&limit=1&cursor={c}"), &admin).await;
    assert_ne!(names(&p1), names(&p2));

    let r = s.get("/api/v1/customers/0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e", &admin).await;
    assert_eq!(r.status, 404);
    let r = s.get("/api/v1/customers/42", &admin).await;
    assert_eq!(r.status, 400);
    let r = s.get("/api/v1/customers?limit=1000", &admin).await;
    assert_eq!(r.status, 400);
}

async fn case_lifecycle(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, other) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let customer = s.customer(&admin, "C-1").await;

    let r = s
        .post(
            "/api/v1/cases",
            &agent,
            json!({"customer_id": customer, "subject": "Parcel lost", "channel": "chat", "priority": "high"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let case = r.json.clone();
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(
        (case["status"].as_str(), case["assignee_id"].as_str(), case["revision"].as_i64()),
        (Some("new"), Some(anna.id.to_string().as_str()), Some(1))
    );
    assert!(case["first_response_due"].is_string());

    let list = s.get("/api/v1/cases?assignee=me&status=new,open", &agent).await;
    assert_eq!(list.json["cases"].as_array().unwrap().len(), 1);
    assert_eq!(s.get("/api/v1/cases?assignee=none", &agent).await.json["cases"].as_array().unwrap().len(), 0);
    assert_eq!(
        s.get(&format!("/api/v1/cases?customer_id={customer}"), &other).await.json["cases"].as_array().unwrap().len(),
        1
    );
    assert_eq!(s.get("/api/v1/cases?status=bogus", &agent).await.status, 400);

    // Status change with the revision read; a stale revision gets the current case back.
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 1, "status": "open"})).await;
    assert_eq!((r.status, r.json["revision"].as_i64()), (200, Some(2)));
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 1, "status": "pending"})).await;
    assert_eq!((r.status, r.code()), (409, "stale-revision"));
    assert_eq!(r.json["current"]["revision"], 2);
    assert_eq!(r.json["current"]["status"], "open");
    // A move the state machine forbids is no fault of the request's shape: 409, naming the field.
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2, "status": "new"})).await;
    assert_eq!((r.status, r.code()), (409, "state-conflict"), "open cannot go back to new");
    assert_eq!(r.json["errors"][0]["field"], "status");
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2, "status": "resolved"})).await;
    assert_eq!((r.status, r.code()), (409, "state-conflict"));
    assert!(r.json["detail"].as_str().unwrap().contains("resolution first"));
    // Nothing to change: the case as it is; a stale revision is still one; 2.0 is 2.
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2})).await;
    assert_eq!((r.status, r.json["revision"].as_i64(), r.json["status"].as_str()), (200, Some(2), Some("open")));
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 1})).await;
    assert_eq!((r.status, r.code()), (409, "stale-revision"));
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2.0})).await;
    assert_eq!(r.status, 200, "a whole number written as a float");
    for bad in [json!(2.5), json!(0), json!(-1), json!("2")] {
        let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": bad})).await;
        assert_eq!((r.status, r.code()), (422, "validation-failed"), "revision {bad}");
    }

    // Permissions on someone else's case.
    let r = s.patch(&format!("/api/v1/cases/{id}"), &other, json!({"revision": 2, "status": "pending"})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2, "priority": "urgent"})).await;
    assert_eq!(r.status, 403, "agents do not reprioritise");
    let r = s.patch(&format!("/api/v1/cases/{id}"), &lead, json!({"revision": 2, "priority": "urgent"})).await;
    assert_eq!((r.status, r.json["priority"].as_str()), (200, Some("urgent")));

    // Notes: anyone may add one; append-only.
    let r = s
        .post(
            &format!("/api/v1/cases/{id}/notes"),
            &other,
            json!({"body": "Customer called again 📞", "visibility": "internal"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s.post(&format!("/api/v1/cases/{id}/notes"), &agent, json!({"body": "   "})).await;
    assert_eq!(r.status, 422);
    let r = s.post(&format!("/api/v1/cases/{id}/notes"), &agent, json!({"body": "x".repeat(20_001)})).await;
    assert_eq!(r.status, 422);
    assert!(r.json["detail"].as_str().unwrap().contains("20001 characters"));

    // RASA steps.
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/rasa/receive"),
            &agent,
            json!({"notes": "\"It never arrived\"", "done": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.json["current"].as_str(), r.json["complete"].as_bool()),
        (200, Some("appreciate"), Some(false))
    );
    let r = s.put(&format!("/api/v1/cases/{id}/rasa/listen"), &agent, json!({"done": true})).await;
    assert_eq!(r.status, 404);
    assert!(r.json["detail"].as_str().unwrap().contains("receive, appreciate, summarize, ask"));
    let r = s.put(&format!("/api/v1/cases/{id}/rasa/ask"), &other, json!({"done": true})).await;
    assert_eq!(r.status, 403);

    // Resolving with RASA incomplete needs a reason.
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/resolution"),
            &agent,
            json!({"revision": 3, "summary": "Reshipped", "outcome": "negative"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "state-conflict"));
    assert!(r.json["detail"].as_str().unwrap().contains("appreciate, summarize, ask"));
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/resolution"),
            &agent,
            json!({"revision": 3, "summary": "Reshipped", "outcome": "awful", "rasa_incomplete_reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "unknown outcome");
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/resolution"),
            &agent,
            json!({"revision": 2, "summary": "Reshipped", "outcome": "negative", "rasa_incomplete_reason": "hung up"}),
        )
        .await;
    assert_eq!(r.status, 409);
    for step in ["appreciate", "summarize", "ask"] {
        let r = s
            .put(
                &format!("/api/v1/cases/{id}/rasa/{step}"),
                &agent,
                json!({"notes": format!("{step} notes"), "done": true}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let r = s.put(
        &format!("/api/v1/cases/{id}/resolution"),
        &agent,
        json!({"revision": 3, "summary": "Reshipped express", "root_cause": ["lost at depot", "scan skipped"], "outcome": "negative"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["status"].as_str(), r.json["resolution"]["outcome"].as_str()),
        (Some("resolved"), Some("negative"))
    );
    assert!(r.json["resolution"]["rasa_incomplete_reason"].is_null());

    let detail = s.get(&format!("/api/v1/cases/{id}"), &other).await;
    assert_eq!(detail.json["notes"].as_array().unwrap().len(), 1);
    assert_eq!(detail.json["rasa"]["complete"], true);
    assert_eq!(detail.json["rasa"]["steps"][0]["notes"], "\"It never arrived\"");
    assert_eq!(detail.json["resolution"]["root_cause"], json!(["lost at depot", "scan skipped"]));

    // Close, then nothing more: closed is final.
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 4, "status": "closed"})).await;
    assert_eq!(r.status, 200);
    let r = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 5, "status": "open"})).await;
    assert_eq!((r.status, r.code()), (409, "state-conflict"));

    // The case's activity is on the customer's timeline as casebook events.
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline?source=casebook"), &agent).await;
    let kinds: Vec<&str> = t.json["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in
        ["case_opened", "case_status_changed", "case_reprioritised", "note_added", "rasa_step_done", "case_resolved"]
    {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert!(t.json["events"].as_array().unwrap().iter().all(|e| e["case_id"] == json!(id)));

    // Agents open cases for themselves; leads may assign; unknown customers are refused.
    let r = s
        .post(
            "/api/v1/cases",
            &agent,
            json!({"customer_id": customer, "subject": "x", "assignee_id": other_id(s, &other).await}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .post("/api/v1/cases", &agent, json!({"customer_id": "0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e", "subject": "x"}))
        .await;
    assert_eq!((r.status, r.code()), (404, "not-found"), "an unknown customer is a missing reference");
    let r = s
        .post("/api/v1/cases", &lead, json!({"customer_id": customer, "subject": "Unassigned", "assignee_id": null}))
        .await;
    assert_eq!((r.status, r.json["assignee_id"].is_null()), (201, true));
    let unassigned = r.json["id"].as_str().unwrap().to_string();
    let r = s
        .patch(
            &format!("/api/v1/cases/{unassigned}"),
            &other,
            json!({"revision": 1, "assignee_id": other_id(s, &other).await}),
        )
        .await;
    assert_eq!(r.status, 200, "an agent may take an unassigned case");
    let r =
        s.patch(&format!("/api/v1/cases/{unassigned}"), &agent, json!({"revision": 2, "assignee_id": anna.id})).await;
    assert_eq!(r.status, 403, "but not take someone else's");
    let r =
        s.patch(&format!("/api/v1/cases/{unassigned}"), &lead, json!({"revision": 2, "assignee_id": anna.id})).await;
    assert_eq!((r.status, r.json["assignee_id"].as_str()), (200, Some(anna.id.to_string().as_str())));
}

async fn other_id(s: &TestServer, token: &str) -> String {
    s.get("/api/v1/me", token).await.json["agent"]["id"].as_str().unwrap().to_string()
}

async fn followups(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (bruno, other) = s.agent("bruno", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-5").await;
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Refund"})).await.json;
    let case_id = case["id"].as_str().unwrap();

    let due = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
    let r = s
        .post(
            "/api/v1/followups",
            &agent,
            json!({"case_id": case_id, "due_at": due, "channel": "phone", "note": "Call back about the refund"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        (r.json["customer_id"].as_str(), r.json["assignee_id"].as_str()),
        (Some(customer.as_str()), Some(anna.id.to_string().as_str()))
    );
    let fid = r.json["id"].as_str().unwrap().to_string();

    let r = s
        .post("/api/v1/followups", &agent, json!({"customer_id": customer, "due_at": due, "assignee_id": bruno.id}))
        .await;
    assert_eq!(r.status, 403, "agents give follow-ups to themselves");
    let r = s.post("/api/v1/followups", &agent, json!({"due_at": due})).await;
    assert_eq!(r.status, 422);
    let r = s.post("/api/v1/followups", &agent, json!({"customer_id": customer, "due_at": "tomorrow"})).await;
    assert_eq!(r.status, 422);
    let r =
        s.post("/api/v1/followups", &agent, json!({"customer_id": customer, "due_at": due, "channel": "pigeon"})).await;
    assert_eq!(r.status, 422);

    let mine = s.get("/api/v1/followups?assignee=me&status=open", &agent).await;
    assert_eq!(mine.json["followups"].as_array().unwrap().len(), 1);
    assert_eq!(s.get("/api/v1/followups?assignee=me", &other).await.json["followups"].as_array().unwrap().len(), 0);
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let r = s.get(&format!("/api/v1/followups?due_before={}", urlencode(&soon)), &agent).await;
    assert_eq!(r.json["followups"].as_array().unwrap().len(), 0);
    assert_eq!(s.get("/api/v1/followups?due_before=soon", &agent).await.status, 400);
    assert_eq!(s.get(&format!("/api/v1/followups/{fid}"), &other).await.status, 200);

    let r = s.patch(&format!("/api/v1/followups/{fid}"), &other, json!({"revision": 1, "status": "done"})).await;
    assert_eq!(r.status, 403);
    let r = s.patch(&format!("/api/v1/followups/{fid}"), &agent, json!({"revision": 1, "status": "done"})).await;
    assert_eq!((r.status, r.json["status"].as_str(), r.json["done_at"].is_string()), (200, Some("done"), true));
    let same = s.patch(&format!("/api/v1/followups/{fid}"), &agent, json!({"revision": 2, "status": "done"})).await;
    assert_eq!(
        (same.status, same.json["revision"].as_i64()),
        (200, Some(2)),
        "a change that changes nothing is no new revision"
    );
    let r = s.patch(&format!("/api/v1/followups/{fid}"), &agent, json!({"revision": 1, "status": "cancelled"})).await;
    assert_eq!((r.status, r.json["current"]["status"].as_str()), (409, Some("done")));
    let detail = s.get(&format!("/api/v1/cases/{case_id}"), &agent).await;
    assert_eq!(detail.json["followups"][0]["status"], "done");
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline?kind=followup_done,followup_created"), &agent).await;
    assert_eq!(t.json["events"].as_array().unwrap().len(), 2);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn bad_input_gets_problems(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let problem = |r: &common::Resp, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.json);
        assert_eq!(r.code(), code, "{}", r.json);
        assert!(r.content_type.starts_with("application/problem+json"));
        assert_eq!(r.json["type"], format!("urn:casebook:problem:{code}"));
        assert!(r.json["detail"].as_str().unwrap().len() > 10);
    };

    // Tokens.
    problem(&s.send(Method::GET, "/api/v1/me", None, None).await, 401, "unauthorized");
    problem(&s.send(Method::GET, "/api/v1/me", Some("cba_wrong"), None).await, 401, "unauthorized");
    problem(&s.get("/api/v1/customers", &shop).await, 403, "forbidden");

    // Bodies.
    let raw = |ct: &str, body: &[u8]| Some((ct.to_string(), body.to_vec()));
    let send = |path: &'static str, body: Option<(String, Vec<u8>)>, token: String| async move {
        s.send(Method::POST, path, Some(&token), body.as_ref().map(|(c, b)| (c.as_str(), b.clone()))).await
    };
    problem(&send("/api/v1/events", raw(SINGLE, b"{not json"), shop.clone()).await, 400, "malformed-json");
    problem(&send("/api/v1/events", raw("text/plain", b"hi"), shop.clone()).await, 415, "unsupported-media-type");
    problem(&send("/api/v1/events", raw(BATCH, b"{\"a\": 1}"), shop.clone()).await, 422, "validation-failed");
    problem(&send("/api/v1/cases", raw("application/json", b"[1,"), agent.clone()).await, 400, "malformed-json");
    problem(&send("/api/v1/cases", raw("text/xml", b"<a/>"), agent.clone()).await, 415, "unsupported-media-type");
    problem(&s.post("/api/v1/cases", &agent, json!({"subject": "no customer"})).await, 422, "validation-failed");
    problem(
        &s.post("/api/v1/cases", &agent, json!({"customer_id": "x", "subject": "s"})).await,
        422,
        "validation-failed",
    );
    problem(
        &s.post(
            "/api/v1/cases",
            &agent,
            json!({"customer_id": uuid::Uuid::now_v7(), "subject": "s", "priority": "asap"}),
        )
        .await,
        422,
        "validation-failed",
    );
    problem(
        &s.post("/api/v1/cases", &agent, json!({"customer_id": uuid::Uuid::now_v7(), "subject": "s", "colour": "red"}))
            .await,
        422,
        "validation-failed",
    );

    // CloudEvents attributes.
    let r = s
        .events(&shop, SINGLE, json!({"specversion": "0.3", "id": "1", "source": "shop", "type": "t", "subject": "s"}))
        .await;
    problem(&r, 422, "validation-failed");
    assert!(r.json["detail"].as_str().unwrap().contains("1.0"));
    let r = s.events(&shop, SINGLE, ce("1", "billing", "t", "s", "2024-01-01T00:00:00Z", json!({}))).await;
    problem(&r, 403, "forbidden");
    let r = s.events(&shop, SINGLE, ce("1", "shop", "t", "s", "last tuesday", json!({}))).await;
    problem(&r, 422, "validation-failed");
    let mut e = ce("1", "shop", "t", "s", "2024-01-01T00:00:00Z", json!({}));
    e["casebookcustomer"] = json!(uuid::Uuid::now_v7().to_string());
    problem(&s.events(&shop, SINGLE, e).await, 404, "not-found");

    // Sizes: one event over 256 KiB, a batch over 1000 events, a JSON body over 1 MiB.
    let huge = ce("h", "shop", "t", "s", "2024-01-01T00:00:00Z", json!({"body": "x".repeat(300 * 1024)}));
    problem(&s.events(&shop, SINGLE, huge.clone()).await, 413, "payload-too-large");
    let r = s.events(&shop, BATCH, json!([huge, ce("ok", "shop", "t", "s", "2024-01-01T00:00:00Z", json!({}))])).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.json["results"][0]["problem"]["status"].as_u64(), r.json["results"][1]["status"].as_str()),
        (Some(413), Some("created"))
    );
    let many: Vec<Value> =
        (0..1001).map(|i| ce(&format!("m{i}"), "shop", "t", "s", "2024-01-01T00:00:00Z", json!({}))).collect();
    problem(&s.events(&shop, BATCH, json!(many)).await, 422, "validation-failed");
    let r = s
        .send(
            Method::POST,
            "/api/v1/cases",
            Some(&agent),
            Some(("application/json", format!("{{\"subject\": \"{}\"}}", "x".repeat(1_100_000)).into_bytes())),
        )
        .await;
    problem(&r, 413, "payload-too-large");

    // Routes and methods.
    problem(&s.get("/api/v1/nothing-here", &agent).await, 404, "not-found");
    problem(&s.send(Method::DELETE, "/api/v1/cases", Some(&agent), None).await, 405, "method-not-allowed");
    problem(&s.get("/api/v1/cases/0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e", &agent).await, 404, "not-found");
    problem(
        &s.patch("/api/v1/followups/0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e", &agent, json!({"revision": 1})).await,
        404,
        "not-found",
    );
}

async fn pull_all(s: &TestServer, token: &str, cursor: Option<&str>, limit: u32) -> (Vec<Value>, String) {
    let mut out = Vec::new();
    let mut cursor = cursor.map(str::to_string);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/sync/pull?limit={limit}&cursor={c}"),
            None => format!("/api/v1/sync/pull?limit={limit}"),
        };
        let page = s.get(&path, token).await;
        assert_eq!(page.status, 200, "{}", page.json);
        out.extend(page.json["changes"].as_array().unwrap().iter().cloned());
        cursor = Some(page.json["next_cursor"].as_str().unwrap().to_string());
        if page.json["has_more"] == false {
            return (out, cursor.unwrap());
        }
    }
}

async fn change_feed(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (empty, start) = pull_all(s, &agent, None, 10).await;
    assert!(empty.is_empty());

    let customer = s.customer(&admin, "C-9").await;
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Feed"})).await.json;
    let id = case["id"].as_str().unwrap();
    s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 1, "status": "open"})).await;
    let noop = s.patch(&format!("/api/v1/cases/{id}"), &agent, json!({"revision": 2, "status": "open"})).await;
    assert_eq!(noop.json["revision"], 2, "a change that changes nothing is no new revision");
    s.post(&format!("/api/v1/cases/{id}/notes"), &agent, json!({"body": "hello"})).await;
    s.put(&format!("/api/v1/cases/{id}/rasa/receive"), &agent, json!({"notes": "their words", "done": true})).await;
    s.post("/api/v1/followups", &agent, json!({"case_id": id, "due_at": "2030-01-01T10:00:00Z"})).await;

    // Everything, in order, numbered without gaps, from the cursor of the empty feed.
    let (all, end) = pull_all(s, &agent, Some(&start), 2).await;
    let entities: Vec<&str> = all.iter().map(|c| c["entity"].as_str().unwrap()).collect();
    assert_eq!(entities, ["case", "case", "note", "rasa_entry", "followup"]);
    let seqs: Vec<i64> = all.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!((all[0]["body"]["revision"].as_i64(), all[1]["body"]["revision"].as_i64()), (Some(1), Some(2)));
    assert_eq!(all[1]["body"]["status"], "open");
    assert_eq!(all[3]["body"]["notes"], "their words");
    assert!(all.iter().all(|c| c["case_id"] == json!(id) && c["customer_id"] == json!(customer)));
    let (none, same) = pull_all(s, &agent, Some(&end), 10).await;
    assert!(none.is_empty());
    assert_eq!(same, end, "an empty pull keeps the cursor");

    // Compaction drops superseded changes only: every cursor still reads the current state.
    assert_eq!(s.store.compact_changes(i64::MAX).await.unwrap(), 1, "the case's first revision");
    let (compacted, _) = pull_all(s, &agent, Some(&start), 10).await;
    let seqs: Vec<i64> = compacted.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(compacted[0]["body"]["revision"], 2);
    let (from_scratch, _) = pull_all(s, &agent, None, 10).await;
    assert_eq!(from_scratch, compacted);

    // Cursors of another feed (a replaced database) or ahead of it (a restored one) are gone
    // (410); bad cursors are 400.
    let feed = s.store.feed_id().await.unwrap();
    let at = |feed: &str, seq: i64| casebook::domain::cursor::FeedCursor { feed: feed.into(), seq }.encode("changes");
    let (rest, _) = pull_all(s, &agent, Some(&at(&feed, 3)), 10).await;
    assert_eq!(rest.len(), 2);
    let r = s.get(&format!("/api/v1/sync/pull?cursor={}", at(&feed, 999)), &agent).await;
    assert_eq!((r.status, r.code()), (410, "cursor-gone"));
    let r = s.get(&format!("/api/v1/sync/pull?cursor={}", at("another-database", 3)), &agent).await;
    assert_eq!((r.status, r.code()), (410, "cursor-gone"));
    let r = s.get("/api/v1/sync/pull?cursor=nonsense", &agent).await;
    assert_eq!((r.status, r.code()), (400, "invalid-cursor"));
    let ingest = s.ingest_token("shop").await;
    assert_eq!(s.get("/api/v1/sync/pull", &ingest).await.status, 403);
}

/// Who else has a case open: a heartbeat per agent, seen by the others, gone on leaving.
async fn presence(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, anna_t) = s.agent("anna", Role::Agent, &["support"]).await;
    let (ben, ben_t) = s.agent("ben", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-7").await;
    let case = s.post("/api/v1/cases", &anna_t, json!({"customer_id": customer, "subject": "Broken kettle"})).await;
    let path = format!("/api/v1/cases/{}/presence", case.json["id"].as_str().unwrap());

    let r = s.put(&path, &anna_t, json!(null)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["present"], json!([]), "nobody else yet");
    let r = s.put(&path, &ben_t, json!(null)).await;
    assert_eq!(r.json["present"][0]["name"], "anna");
    assert_eq!(r.json["present"][0]["agent_id"], anna.id.to_string());
    let r = s.put(&path, &anna_t, json!(null)).await;
    let names: Vec<&str> = r.json["present"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ben"], "not oneself");
    let r = s.send(Method::DELETE, &path, Some(&ben_t), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.put(&path, &anna_t, json!(null)).await.json["present"], json!([]));
    let _ = ben;

    let r = s.put(&format!("/api/v1/cases/{}/presence", uuid::Uuid::now_v7()), &anna_t, json!(null)).await;
    assert_eq!(r.status, 404);
    assert!(r.json["detail"].as_str().unwrap().contains("once synced"), "{}", r.json);
    let r = s.send(Method::PUT, &path, None, None).await;
    assert_eq!(r.status, 401);
}
