//! Outbound webhooks over loopback, on SQLite and PostgreSQL: an admin subscribes a real
//! receiver (an HTTP server in this test), case work happens through the API, and the receiver
//! gets CloudEvents signed as Standard Webhooks says — checked with the `standardwebhooks`
//! reference library — including `survey.requested` the moment a case is resolved. A receiver
//! that is down for a while gets everything once back; one that never comes back fails the
//! delivery and marks the subscription failing; two nodes deliver each event once.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use casebook::domain::agent::Role;
use casebook::integrations::outbound::retry::Backoff;
use casebook::integrations::outbound::DeliveryOptions;
use casebook::server::ServeOptions;
use common::{ce, conforms, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// What a receiver got: headers and body of each request, in order.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    /// Answer 503 to this many requests first (a receiver that is down for a while).
    fail_first: Arc<AtomicUsize>,
    /// Take this long to answer (a receiver that hangs).
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let r = Receiver::default();
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.got.lock().unwrap().clone()
    }

    /// The events received (verified with `secret`), waiting up to 20 s for `n` of `kind`.
    async fn wait_for(&self, secret: &str, kind: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let events: Vec<Value> = self.verified(secret).into_iter().filter(|e| e["type"] == kind).collect();
            if events.len() >= n || tokio::time::Instant::now() > deadline {
                assert_eq!(events.len(), n, "{kind}: {events:?}");
                return events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every 2xx-answered request, its signature checked by the reference library.
    fn verified(&self, secret: &str) -> Vec<Value> {
        let wh = standardwebhooks::Webhook::new(secret).expect("a Standard Webhooks secret");
        self.received()
            .into_iter()
            .filter(|(h, _)| h.get("x-test-answered").is_none())
            .map(|(h, body)| {
                wh.verify(&body, &h).expect("the signature verifies");
                let ct = h.get("content-type").unwrap().to_str().unwrap();
                assert!(ct.starts_with("application/cloudevents+json"), "{ct}");
                let e: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(
                    e["id"].as_str(),
                    h.get("webhook-id").unwrap().to_str().ok(),
                    "webhook-id is the event's id"
                );
                e
            })
            .collect()
    }
}

async fn receive(State(r): State<Receiver>, mut headers: HeaderMap, body: Bytes) -> StatusCode {
    let delay = *r.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let failing = r.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        headers.insert("x-test-answered", "503".parse().unwrap());
    }
    r.got.lock().unwrap().push((headers, body));
    if failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

/// Deliveries as a test wants them: retries within a second, polls often.
fn quick(retries: u32) -> ServeOptions {
    ServeOptions {
        deliveries: Some(DeliveryOptions {
            backoff: Backoff { first: Duration::from_millis(100), cap: Duration::from_millis(300), retries },
            timeout: Duration::from_secs(2),
            poll: Duration::from_millis(100),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn subscribe(s: &TestServer, admin: &str, url: &str, kinds: &[&str]) -> (String, String) {
    let r =
        s.post("/api/v1/webhooks", admin, json!({"url": url, "kinds": kinds, "description": "test receiver"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    (r.json["id"].as_str().unwrap().to_string(), r.json["secret"].as_str().unwrap().to_string())
}

async fn open_case(s: &TestServer, token: &str, customer: &str, subject: &str) -> String {
    let r =
        s.post("/api/v1/cases", token, json!({"customer_id": customer, "subject": subject, "channel": "phone"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

async fn resolve(s: &TestServer, token: &str, case: &str) {
    for step in ["receive", "appreciate", "summarize", "ask"] {
        let r = s.put(&format!("/api/v1/cases/{case}/rasa/{step}"), token, json!({"notes": step, "done": true})).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let rev = s.get(&format!("/api/v1/cases/{case}"), token).await.json["revision"].as_i64().unwrap();
    let r = s
        .put(
            &format!("/api/v1/cases/{case}/resolution"),
            token,
            json!({"revision": rev, "summary": "Refunded the double charge", "root_cause": ["retry sent twice"], "outcome": "positive"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}

async fn end_to_end(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, quick(3)).await else { return };
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (agent_row, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (rx, url) = Receiver::start().await;

    // Loopback is refused until an operator opens it; agents may not subscribe.
    let body = json!({"url": url, "kinds": ["survey.requested"]});
    let r = s.post("/api/v1/webhooks", &admin, body.clone()).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("allow-network"), "{}", r.json);
    conforms(&Method::POST, "/api/v1/webhooks", r.status, &r.content_type, &r.json);
    s.store.set_network_allowed("127.0.0.0/8", true).await.unwrap();
    let r = s.post("/api/v1/webhooks", &agent, body).await;
    assert_eq!(r.status, 403);
    for (bad, says) in [
        (json!({"url": "ftp://example.com/", "kinds": ["*"]}), "cannot receive"),
        (json!({"url": url, "kinds": ["case.closed"]}), "case.opened"),
        (json!({"url": url, "kinds": []}), "empty"),
    ] {
        let r = s.post("/api/v1/webhooks", &admin, bad).await;
        assert_eq!(r.status, 422, "{}", r.json);
        assert!(r.json["detail"].as_str().unwrap().contains(says), "{}", r.json);
    }
    let kinds = [
        "case.opened",
        "case.resolved",
        "survey.requested",
        "case.customer_note_added",
        "followup.due",
        "followup.done",
    ];
    let (sub, secret) = subscribe(&s, &admin, &url, &kinds).await;
    assert!(secret.starts_with("whsec_"));
    let r = s.get("/api/v1/webhooks", &admin).await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert!(r.json[0].get("secret").is_none(), "the secret is shown once only");
    conforms(&Method::GET, "/api/v1/webhooks", r.status, &r.content_type, &r.json);

    // The customer, known to speak Italian from the shop's event.
    let ingest = s.ingest_token("shop").await;
    let mut signup = ce("signup-1", "shop", "signed_up", "C-1", "2024-01-01T00:00:00Z", json!({}));
    signup["customeremail"] = json!("giulia@example.com");
    signup["customerlanguage"] = json!("it_IT");
    let r = s.events(&ingest, "application/cloudevents+json", signup).await;
    let customer = r.json["customer_id"].as_str().unwrap().to_string();
    assert_eq!(s.get(&format!("/api/v1/customers/{customer}"), &agent).await.json["language"], "it-IT");

    let case = open_case(&s, &agent, &customer, "Charged twice for order 1042").await;
    let opened = rx.wait_for(&secret, "casebook.case.opened", 1).await;
    assert_eq!(opened[0]["subject"], case.as_str());
    assert_eq!(opened[0]["source"], "casebook");
    assert_eq!(opened[0]["specversion"], "1.0");
    assert_eq!(opened[0]["data"]["case"]["subject"], "Charged twice for order 1042");
    assert_eq!(opened[0]["data"]["customer"]["email"], "giulia@example.com");

    // Internal notes stay inside; notes for the customer go out.
    for (body, visibility) in [("internal: check the PSP log", "internal"), ("We have refunded you 🙂", "customer")] {
        let r = s
            .post(&format!("/api/v1/cases/{case}/notes"), &agent, json!({"body": body, "visibility": visibility}))
            .await;
        assert_eq!(r.status, 201);
    }
    let notes = rx.wait_for(&secret, "casebook.case.customer_note_added", 1).await;
    assert_eq!(notes[0]["data"]["note"]["body"], "We have refunded you 🙂");

    // A follow-up already due is announced once; done, it says so.
    let r = s
        .post(
            "/api/v1/followups",
            &agent,
            json!({"case_id": case, "due_at": "2020-01-01T00:00:00Z", "note": "Call back about the refund"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let followup = r.json["id"].as_str().unwrap().to_string();
    let due = rx.wait_for(&secret, "casebook.followup.due", 1).await;
    assert_eq!(due[0]["data"]["customer"]["language"], "it-IT");
    assert_eq!(due[0]["data"]["assignee_id"], agent_row.id.to_string());
    let r = s.patch(&format!("/api/v1/followups/{followup}"), &agent, json!({"revision": 1, "status": "done"})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    rx.wait_for(&secret, "casebook.followup.done", 1).await;

    // Resolved: the survey is asked for at once, in the customer's language and channel.
    resolve(&s, &agent, &case).await;
    let resolved = rx.wait_for(&secret, "casebook.case.resolved", 1).await;
    assert_eq!(resolved[0]["data"]["case"]["resolution"]["outcome"], "positive");
    let survey = rx.wait_for(&secret, "casebook.survey.requested", 1).await;
    let d = &survey[0]["data"];
    assert_eq!(
        (d["case_id"].as_str(), d["channel"].as_str(), d["language"].as_str()),
        (Some(case.as_str()), Some("phone"), Some("it-IT"))
    );
    assert_eq!(d["customer"]["email"], "giulia@example.com");
    assert_eq!(d["outcome"], "positive");
    rx.wait_for(&secret, "casebook.followup.due", 1).await; // still once

    // The log: every delivery delivered on its first try; one redelivered keeps its id. (The
    // receiver has a request before the deliverer has written its answer: wait for that.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let r = loop {
        let r = s.get(&format!("/api/v1/webhooks/{sub}/deliveries"), &admin).await;
        let done = r.json.as_array().is_some_and(|l| l.iter().all(|d| d["state"] == "delivered"));
        if done || tokio::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    conforms(&Method::GET, &format!("/api/v1/webhooks/{sub}/deliveries"), r.status, &r.content_type, &r.json);
    let log = r.json.as_array().unwrap().clone();
    assert_eq!(log.len(), 6, "{log:?}");
    assert!(log.iter().all(|d| d["state"] == "delivered" && d["attempts"] == 1), "{log:?}");
    let survey_delivery = log.iter().find(|d| d["kind"] == "survey.requested").unwrap();
    let id = survey_delivery["id"].as_str().unwrap();
    let r = s.post(&format!("/api/v1/webhook-deliveries/{id}/redeliver"), &admin, json!({})).await;
    assert_eq!(r.status, 202, "{}", r.json);
    let again = rx.wait_for(&secret, "casebook.survey.requested", 2).await;
    assert_eq!(again[0]["id"], again[1]["id"], "a redelivery carries the same webhook-id, so receivers can drop it");
    // The receiver has it; the server logs the try once the answer is back: wait for that.
    let mut r = s.get(&format!("/api/v1/webhook-deliveries/{id}"), &admin).await;
    for _ in 0..50 {
        if r.json["attempts_log"].as_array().is_some_and(|a| a.len() == 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = s.get(&format!("/api/v1/webhook-deliveries/{id}"), &admin).await;
    }
    assert_eq!(r.json["attempts_log"].as_array().unwrap().len(), 2, "{}", r.json);
    assert_eq!(r.json["attempts_log"][1]["status"], 204);

    // Paused: deliveries wait; resumed: they go.
    let r = s.patch(&format!("/api/v1/webhooks/{sub}"), &admin, json!({"state": "paused"})).await;
    assert_eq!((r.status, r.json["state"].as_str()), (200, Some("paused")));
    let second = open_case(&s, &agent, &customer, "Where is my refund?").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.verified(&secret).iter().filter(|e| e["type"] == "casebook.case.opened").count(), 1);
    s.patch(&format!("/api/v1/webhooks/{sub}"), &admin, json!({"state": "active"})).await;
    let opened = rx.wait_for(&secret, "casebook.case.opened", 2).await;
    assert_eq!(opened[1]["subject"], second.as_str());

    // The metrics count the tries.
    let text = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("casebook_webhook_tries_total{outcome=\"delivered\"}"), "{text}");

    // Removed: nothing more is queued for it.
    let r = s.send(Method::DELETE, &format!("/api/v1/webhooks/{sub}"), Some(&admin), None).await;
    assert_eq!(r.status, 204);
    open_case(&s, &agent, &customer, "One more").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.verified(&secret).iter().filter(|e| e["type"] == "casebook.case.opened").count(), 2);
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_sqlite() {
    end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_postgres() {
    end_to_end(Backend::Postgres).await;
}

/// A receiver down for a while gets the delivery once back; one that never comes back (or
/// hangs past the timeout) fails it after the last retry and marks the subscription failing,
/// until an admin redelivers to it once it is back.
async fn down_for_a_while(backend: Backend) {
    let mut options = quick(3);
    options.deliveries.as_mut().unwrap().timeout = Duration::from_millis(400);
    let Some(s) = TestServer::start_with(backend, options).await else { return };
    s.store.set_network_allowed("127.0.0.1/32", true).await.unwrap();
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-2").await;

    let (flaky, flaky_url) = Receiver::start().await;
    flaky.fail_first.store(3, Ordering::SeqCst);
    let (flaky_sub, flaky_secret) = subscribe(&s, &admin, &flaky_url, &["case.opened"]).await;
    let (hung, hung_url) = Receiver::start().await;
    *hung.delay.lock().unwrap() = Duration::from_secs(5);
    let (hung_sub, _) = subscribe(&s, &admin, &hung_url, &["case.opened"]).await;

    let case = open_case(&s, &agent, &customer, "Parcel stuck at the depot").await;
    let got = flaky.wait_for(&flaky_secret, "casebook.case.opened", 1).await;
    assert_eq!(got[0]["subject"], case.as_str());
    assert_eq!(flaky.received().len(), 4, "three 503s, then delivered");
    // The receiver has the request before the deliverer has its answer written: wait for that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let d = loop {
        let d = s.get(&format!("/api/v1/webhooks/{flaky_sub}/deliveries"), &admin).await.json[0].clone();
        if d["state"] == "delivered" || tokio::time::Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((d["state"].as_str(), d["attempts"].as_i64()), (Some("delivered"), Some(4)), "{d}");
    let log = s.get(&format!("/api/v1/webhook-deliveries/{}", d["id"].as_str().unwrap()), &admin).await.json;
    let statuses: Vec<Value> = log["attempts_log"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [json!(503), json!(503), json!(503), json!(204)]);

    // The hung receiver: four tries, each cut at the timeout, then failed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let failed = loop {
        let r = s.get(&format!("/api/v1/webhooks/{hung_sub}/deliveries?state=failed"), &admin).await;
        if !r.json.as_array().unwrap().is_empty() || tokio::time::Instant::now() > deadline {
            break r.json[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((failed["state"].as_str(), failed["attempts"].as_i64()), (Some("failed"), Some(4)), "{failed}");
    assert!(failed["last_error"].as_str().unwrap().contains("timed out"), "{failed}");
    let sub = s.get("/api/v1/webhooks", &admin).await.json;
    let state = |id: &str| sub.as_array().unwrap().iter().find(|x| x["id"] == id).unwrap()["state"].clone();
    assert_eq!((state(&hung_sub), state(&flaky_sub)), (json!("failing"), json!("active")));

    // Back: a redelivery succeeds and clears `failing`.
    *hung.delay.lock().unwrap() = Duration::ZERO;
    let r = s
        .post(&format!("/api/v1/webhook-deliveries/{}/redeliver", failed["id"].as_str().unwrap()), &admin, json!({}))
        .await;
    assert_eq!((r.status, r.json["state"].as_str()), (202, Some("pending")));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sub = s.get("/api/v1/webhooks", &admin).await.json;
        let st = sub.as_array().unwrap().iter().find(|x| x["id"] == hung_sub.as_str()).unwrap()["state"].clone();
        if st == "active" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_for_a_while_sqlite() {
    down_for_a_while(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_for_a_while_postgres() {
    down_for_a_while(Backend::Postgres).await;
}

/// Two nodes on one database, both delivering: every event reaches the receiver exactly once.
async fn two_nodes(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, quick(3)).await else { return };
    let (node2, _store2) = s.second_node_with(quick(3)).await;
    s.store.set_network_allowed("127.0.0.0/8", true).await.unwrap();
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-3").await;
    let (rx, url) = Receiver::start().await;
    *rx.delay.lock().unwrap() = Duration::from_millis(20);
    let (_, secret) = subscribe(&s, &admin, &url, &["case.opened"]).await;

    // Cases opened through both nodes at once.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { s.base.clone() } else { node2.url() };
        let (client, agent, customer) = (s.client.clone(), agent.clone(), customer.clone());
        tasks.spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/cases"))
                .bearer_auth(&agent)
                .json(&json!({"customer_id": customer, "subject": format!("Case {i}"), "channel": "email"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let events = rx.wait_for(&secret, "casebook.case.opened", 40).await;
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "no event twice");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().len(), 40, "and nothing more came later");
    node2.stop().await;
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sqlite() {
    two_nodes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_postgres() {
    two_nodes(Backend::Postgres).await;
}
