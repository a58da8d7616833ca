//! Webhooks in the senders' own JSON, signed their way, over loopback to the real server on
//! SQLite and PostgreSQL: Stripe, Shopify and Zendesk deliveries shaped as their documentation
//! shows them, retries and replays stored once, bad signatures and stale timestamps refused, a
//! payload the mapping cannot read kept and replayed once the mapping reads it; two API nodes
//! take the same delivery at once and store it once.

mod common;

use casebook::domain::agent::Role;
use casebook::integrations::mapping::PRESETS;
use casebook::integrations::signature::{sign, Scheme};
use common::{conforms, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const SECRET: &[u8] = b"whsec_casebook_test_secret";

fn preset(name: &str) -> &'static str {
    PRESETS.iter().find(|(n, _)| *n == name).unwrap().1
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Delivers `body` to `base`'s hook `name` with `headers`; checks the answer against OpenAPI.
async fn deliver(s: &TestServer, base: &str, name: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
    let path = format!("/api/v1/hooks/{name}");
    let mut req = s.client.post(format!("{base}{path}")).header("content-type", "application/json").body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.send().await.expect("send");
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let json: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null);
    assert!(status < 500, "{status}: {json}");
    conforms(&Method::POST, &path, status, &ct, &json);
    (status, json)
}

/// Stripe's `invoice.payment_failed`, shaped as Stripe documents its event objects.
fn stripe_invoice_failed(id: &str, created: i64) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": {
            "id": "in_1MtHbELkdIwHu7ixl4OzzPMv",
            "object": "invoice",
            "amount_due": 2000,
            "amount_paid": 0,
            "currency": "eur",
            "customer": "cus_NeZwdNtLEOXuvB",
            "customer_email": "jennyrosen@example.com",
            "customer_name": "Jenny Rosen",
            "number": "F1A2B3C4-0001",
            "status": "open"
        }},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": "invoice.payment_failed"
    })
}

async fn hooks_end_to_end(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else { return };
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    s.store.put_hook("stripe", preset("stripe"), SECRET).await.unwrap();
    s.store.put_hook("shop", preset("shopify"), SECRET).await.unwrap();
    // Admins set hooks through the API too; agents may not.
    let (_, admin) = s.agent("ada", Role::Admin, &["support"]).await;
    let zd = json!({"preset": "zendesk", "secret": std::str::from_utf8(SECRET).unwrap()});
    let r = s.put("/api/v1/hooks/zendesk", &agent, zd.clone()).await;
    assert_eq!(r.status, 403, "{}", r.json);
    let r = s.put("/api/v1/hooks/zendesk", &admin, zd).await;
    assert_eq!((r.status, r.json["source"].as_str()), (200, Some("helpdesk")), "{}", r.json);
    let r = s.put("/api/v1/hooks/erp", &admin, json!({"mapping": "source = \"erp\"\n[verify]\nscheme = \"hmac-sha256\"\nheader = \"X-Sig\"\n", "secret": "0123456789"})).await;
    assert_eq!(r.status, 422, "a mapping without [event] is refused: {}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("event"), "{}", r.json);
    let r = s.get("/api/v1/hooks", &admin).await;
    let names: Vec<&str> = r.json.as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["shop", "stripe", "zendesk"]);
    let stripe = Scheme::Stripe { tolerance_secs: 300 };

    // A Stripe delivery: on the customer's timeline, titled from the payload.
    let body = serde_json::to_vec(&stripe_invoice_failed("evt_1", now() - 60)).unwrap();
    let (status, created) = deliver(&s, &s.base, "stripe", &sign(&stripe, SECRET, &body, now()), &body).await;
    assert_eq!(status, 201, "{created}");
    let customer = created["customer_id"].as_str().unwrap().to_string();
    // Stripe retries the same delivery (signed anew): stored once.
    let (status, again) = deliver(&s, &s.base, "stripe", &sign(&stripe, SECRET, &body, now()), &body).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")), "{again}");

    // Refused: another secret, a changed body, an old signature, no signature, no such hook.
    let (status, p) = deliver(&s, &s.base, "stripe", &sign(&stripe, b"whsec_other", &body, now()), &body).await;
    assert_eq!((status, p["code"].as_str()), (401, Some("invalid-signature")), "{p}");
    let changed = serde_json::to_vec(&stripe_invoice_failed("evt_forged", now())).unwrap();
    let (status, _) = deliver(&s, &s.base, "stripe", &sign(&stripe, SECRET, &body, now()), &changed).await;
    assert_eq!(status, 401);
    let (status, p) = deliver(&s, &s.base, "stripe", &sign(&stripe, SECRET, &body, now() - 3600), &body).await;
    assert!(status == 401 && p["detail"].as_str().unwrap().contains("replay"), "{p}");
    let (status, p) = deliver(&s, &s.base, "stripe", &[], &body).await;
    assert!(status == 401 && p["detail"].as_str().unwrap().contains("stripe-signature"), "{p}");
    let (status, _) = deliver(&s, &s.base, "nope", &[], &body).await;
    assert_eq!(status, 404);

    // Shopify: the topic and delivery id come in headers; the customer by email links to the
    // same person Stripe named.
    let order = json!({
        "id": 820982911946154508u64, "email": "jennyrosen@example.com", "name": "#9999",
        "created_at": "2026-11-30T10:00:00-05:00", "currency": "EUR", "total_price": "20.00",
        "customer": {"id": 115310627314723954u64, "email": "jennyrosen@example.com", "first_name": "Jenny"},
        "line_items": [{"id": 866550311766439020u64, "title": "IPod Nano - 8GB", "quantity": 1}]
    });
    let body = serde_json::to_vec(&order).unwrap();
    let mut headers = sign(&Scheme::Shopify, SECRET, &body, now());
    headers.push(("X-Shopify-Topic".into(), "orders/create".into()));
    headers.push(("X-Shopify-Webhook-Id".into(), "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".into()));
    let (status, shop) = deliver(&s, &s.base, "shop", &headers, &body).await;
    assert_eq!(status, 201, "{shop}");
    assert_eq!(shop["customer_id"].as_str(), Some(customer.as_str()), "linked by email");

    // Zendesk: an event webhook for a new ticket.
    let ticket = json!({
        "type": "zen:event-type:ticket.created",
        "account_id": 22129848, "id": "cbe4028c-7239-495d-b020-f22348516046",
        "time": "2026-11-30T15:20:32Z", "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:1234",
        "detail": {"id": "1234", "subject": "Charged twice", "status": "NEW", "priority": "HIGH",
                   "requester_id": "366972300917", "requester_email": "jennyrosen@example.com"},
        "event": {}
    });
    let body = serde_json::to_vec(&ticket).unwrap();
    let (status, zd) = deliver(&s, &s.base, "zendesk", &sign(&Scheme::Zendesk, SECRET, &body, now()), &body).await;
    assert_eq!(status, 201, "{zd}");

    let t = s.get(&format!("/api/v1/customers/{customer}/timeline"), &agent).await;
    let titles: Vec<&str> = t.json["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Invoice payment of 20.00 EUR failed"), "{titles:?}");
    assert!(titles.contains(&"Order #9999 placed: 20.00 EUR"), "{titles:?}");
    assert!(titles.contains(&"Ticket #1234 opened: Charged twice"), "{titles:?}");

    // A payload the mapping cannot read: 422 naming the field, kept, replayed once the mapping
    // reads it.
    let mut odd = stripe_invoice_failed("evt_odd", now());
    odd["data"]["object"].as_object_mut().unwrap().remove("amount_due");
    let body = serde_json::to_vec(&odd).unwrap();
    let (status, p) = deliver(&s, &s.base, "stripe", &sign(&stripe, SECRET, &body, now()), &body).await;
    assert_eq!(status, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("data.object.amount_due"), "{p}");
    let kept = s.store.hook_failures(Some("stripe"), false).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].headers.iter().any(|(k, _)| k == "stripe-signature"));
    assert!(!kept[0].headers.iter().any(|(k, _)| k == "authorization"), "credentials are not kept");
    let lenient = preset("stripe").replace(
        "\"invoice.payment_failed\" = \"Invoice payment of {data.object.amount_due|cents} {data.object.currency|upper} failed\"",
        "\"invoice.payment_failed\" = \"Invoice payment failed\"",
    );
    s.store.put_hook("stripe", &lenient, SECRET).await.unwrap();
    let listed = s.get("/api/v1/hook-failures?hook=stripe", &admin).await;
    assert_eq!(listed.json[0]["id"].as_str(), Some(kept[0].id.to_string().as_str()), "{}", listed.json);
    let r = s.post(&format!("/api/v1/hook-failures/{}/replay", kept[0].id), &admin, json!(null)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["id"], "evt_odd");
    let (event, outcome) = casebook::integrations::intake::replay(&s.store, kept[0].id).await.unwrap();
    assert_eq!((event.id.as_str(), event.title.as_str()), ("evt_odd", "Invoice payment failed"));
    assert!(
        matches!(outcome, casebook::store::events::IngestOutcome::Duplicate { .. }),
        "a second replay adds nothing"
    );
    assert!(s.store.hook_failures(Some("stripe"), false).await.unwrap().is_empty(), "replayed");
    assert_eq!(s.store.hook_failures(None, true).await.unwrap().len(), 1, "still listed with --all");

    // Counted for Prometheus, readable from loopback without a token.
    let res = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    for line in [
        "casebook_hook_deliveries_total{hook=\"stripe\",outcome=\"bad_signature\"} 4",
        "casebook_hook_deliveries_total{hook=\"stripe\",outcome=\"duplicate\"} 1",
        "casebook_hook_deliveries_total{hook=\"stripe\",outcome=\"unreadable\"} 1",
        "casebook_hook_deliveries_total{hook=\"(unknown)\",outcome=\"unknown_hook\"} 1",
        "casebook_http_requests_total{route=\"/api/v1/hooks/{name}\",method=\"POST\",status=\"201\"} 3",
        "casebook_http_request_duration_seconds_count{route=\"/api/v1/hooks/{name}\"}",
        "casebook_db_pool_connections{state=\"open\"}",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }

    // Two API nodes take the same new delivery at once: one stores it, the other answers that
    // it was stored.
    if backend == Backend::Postgres {
        let (node2, _store2) = s.second_node().await;
        let body = serde_json::to_vec(&stripe_invoice_failed("evt_race", now())).unwrap();
        let h = sign(&stripe, SECRET, &body, now());
        let url2 = node2.url();
        let (a, b) = tokio::join!(deliver(&s, &s.base, "stripe", &h, &body), deliver(&s, &url2, "stripe", &h, &body));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 201], "{a:?} {b:?}");
        assert_eq!(a.1["event_id"], b.1["event_id"]);
    }
    s.finish().await;
}

#[tokio::test]
async fn webhooks_in_their_own_json_sqlite() {
    hooks_end_to_end(Backend::Sqlite).await;
}

#[tokio::test]
async fn webhooks_in_their_own_json_postgres() {
    hooks_end_to_end(Backend::Postgres).await;
}
