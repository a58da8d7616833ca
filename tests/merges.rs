//! One customer known to many systems, on SQLite and PostgreSQL over loopback: casebook
//! suggests likely duplicates (never merges on its own), a lead merges one into the other —
//! identities, events, cases and follow-ups follow, the change feed tells offline consoles — and
//! undoing the merge restores both.

mod common;

use casebook::domain::agent::Role;
use common::{ce, TestServer};
use serde_json::{json, Value};

const ONE: &str = "application/cloudevents+json";

async fn event(s: &TestServer, token: &str, e: Value) -> String {
    let r = s.events(token, ONE, e).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.json);
    r.json["customer_id"].as_str().unwrap().to_string()
}

async fn titles(s: &TestServer, token: &str, customer: &str) -> Vec<String> {
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline"), token).await;
    assert_eq!(t.status, 200, "{}", t.json);
    t.json["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_string()).collect()
}

async fn feed(s: &TestServer, token: &str) -> Vec<Value> {
    let page = s.get("/api/v1/sync/pull?limit=1000", token).await;
    assert_eq!(page.status, 200, "{}", page.json);
    page.json["changes"].as_array().unwrap().clone()
}

async fn suggest_merge_and_undo(s: &TestServer) {
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    let billing = s.ingest_token("billing").await;

    let mut order = ce("o-1", "shop", "order_placed", "C-1", "2024-05-01T10:00:00Z", json!({"title": "Order #1"}));
    order["customeremail"] = json!("Anna.Rossi@gmail.com");
    order["customerphone"] = json!("+39 333 123 4567");
    order["customername"] = json!("Anna Rossi");
    let kept = event(s, &shop, order).await;
    let mut pay =
        ce("p-1", "billing", "payment_failed", "ACCT-9", "2024-05-02T10:00:00Z", json!({"title": "Card declined"}));
    pay["customeremail"] = json!("annarossi+billing@gmail.com");
    pay["customerphone"] = json!("333 1234567");
    pay["customername"] = json!("ROSSI  Anna");
    let dup = event(s, &billing, pay).await;
    let mut other = ce("o-2", "shop", "order_placed", "C-2", "2024-05-01T10:00:00Z", json!({}));
    other["customeremail"] = json!("bruno@example.com");
    other["customername"] = json!("Bruno Bianchi");
    let bruno = event(s, &shop, other).await;
    assert_ne!(kept, dup, "two systems, two customers: never merged on their own");

    // Suggested, with why; the unrelated customer is not.
    let r = s.get(&format!("/api/v1/customers/{kept}/duplicates"), &agent).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let list = r.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", r.json);
    assert_eq!(list[0]["customer"]["id"], json!(dup));
    assert_eq!(list[0]["reasons"], json!(["same_email", "same_phone", "same_name"]));
    // And the other way round, and by email alone: a third spelling of the same Gmail address.
    let r = s.get(&format!("/api/v1/customers/{dup}/duplicates"), &agent).await;
    assert_eq!(r.json[0]["customer"]["id"], json!(kept), "{}", r.json);
    let mut third = ce("o-3", "shop", "order_placed", "C-3", "2024-05-01T10:00:00Z", json!({}));
    third["customeremail"] = json!("a.n.n.a.rossi@googlemail.com");
    third["customername"] = json!("A. R.");
    let third = event(s, &shop, third).await;
    let r = s.get(&format!("/api/v1/customers/{third}/duplicates"), &agent).await;
    let found: Vec<&str> = r.json.as_array().unwrap().iter().map(|d| d["customer"]["id"].as_str().unwrap()).collect();
    assert_eq!(found.len(), 2, "{}", r.json);
    assert!(found.contains(&kept.as_str()) && found.contains(&dup.as_str()), "{}", r.json);
    assert!(r.json.as_array().unwrap().iter().all(|d| d["reasons"] == json!(["same_email"])), "{}", r.json);

    // The duplicate has a case and a follow-up, and a tag.
    let case = s.post("/api/v1/cases", &lead, json!({"customer_id": dup, "subject": "Card declined twice"})).await;
    assert_eq!(case.status, 201, "{}", case.json);
    let case_id = case.json["id"].as_str().unwrap().to_string();
    let lena_id = s.get("/api/v1/me", &lead).await.json["id"].clone();
    let f = s
        .post("/api/v1/followups", &lead, json!({"customer_id": dup, "case_id": case_id, "assignee_id": lena_id, "due_at": "2030-01-01T10:00:00Z", "note": "Call back"}))
        .await;
    assert_eq!(f.status, 201, "{}", f.json);
    let before_feed = feed(s, &agent).await.len();

    // Agents may not merge; a lead may, once.
    let r = s.post(&format!("/api/v1/customers/{kept}/merge"), &agent, json!({"from": dup})).await;
    assert_eq!(r.status, 403, "{}", r.json);
    let r = s.post(&format!("/api/v1/customers/{kept}/merge"), &lead, json!({"from": kept})).await;
    assert_eq!(r.status, 409, "{}", r.json);
    let r = s
        .post(
            &format!("/api/v1/customers/{kept}/merge"),
            &lead,
            json!({"from": "01a24a98-5f43-76f3-b6a9-287044a6cfe0"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.json);
    let r = s.post(&format!("/api/v1/customers/{kept}/merge"), &lead, json!({"from": dup})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let merge_id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.json["moved"],
        json!({"identities": 3, "events": 3, "cases": 1, "followups": 1}),
        "the payment, and the case and follow-up made"
    );
    let r = s.post(&format!("/api/v1/customers/{bruno}/merge"), &lead, json!({"from": dup})).await;
    assert_eq!(r.status, 409, "merged away already: {}", r.json);

    // Everything is on the kept customer; the other says where it went and is not listed.
    let got = titles(s, &agent, &kept).await;
    assert!(got.contains(&"Card declined".to_string()) && got.contains(&"Order #1".to_string()), "{got:?}");
    assert!(got[0].contains("merged into"), "the merge is on the timeline: {got:?}");
    let k = s.get(&format!("/api/v1/customers/{kept}"), &agent).await.json;
    assert_eq!(k["external_ids"], json!({"billing": "ACCT-9", "shop": "C-1"}));
    let d = s.get(&format!("/api/v1/customers/{dup}"), &agent).await.json;
    assert_eq!(d["merged_into"], json!(kept));
    let found = s.get("/api/v1/customers?q=annarossi", &agent).await.json;
    let ids: Vec<&str> = found["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&kept.as_str()) && !ids.contains(&dup.as_str()), "the merged one is not found: {found}");
    let all = s.get("/api/v1/customers", &agent).await.json;
    assert!(!all.to_string().contains(&dup), "a merged customer is not listed");
    let c = s.get(&format!("/api/v1/cases/{case_id}"), &agent).await.json;
    assert_eq!((c["customer_id"].clone(), c["revision"].clone()), (json!(kept), json!(2)), "{c}");
    // Offline consoles hear of the move.
    let changes = feed(s, &agent).await;
    let moved: Vec<&Value> = changes[before_feed..].iter().collect();
    assert!(
        moved
            .iter()
            .any(|c| c["entity"] == "case" && c["entity_id"] == json!(case_id) && c["customer_id"] == json!(kept)),
        "{moved:?}"
    );
    assert!(moved.iter().any(|c| c["entity"] == "followup" && c["customer_id"] == json!(kept)), "{moved:?}");

    // What billing sends next lands on the kept customer.
    let later = ce("p-2", "billing", "payment_succeeded", "ACCT-9", "2024-05-03T10:00:00Z", json!({"title": "Paid"}));
    assert_eq!(event(s, &billing, later).await, kept);
    // A case opened for the merged customer (an offline console that had not heard yet) goes
    // with the rest of it.
    let late = s.post("/api/v1/cases", &lead, json!({"customer_id": dup, "subject": "Opened offline"})).await;
    assert_eq!((late.status, late.json["customer_id"].clone()), (201, json!(kept)), "{}", late.json);
    // So does an event that names the merged customer by its casebook id.
    let mut named = ce("n-1", "billing", "note", "ACCT-77", "2024-05-03T11:00:00Z", json!({"title": "Named"}));
    named["casebookcustomer"] = json!(dup);
    assert_eq!(event(s, &billing, named).await, kept);

    // Undone: the merge's things go back; what arrived since stays.
    let r = s.post(&format!("/api/v1/merges/{merge_id}/undo"), &agent, json!({})).await;
    assert_eq!(r.status, 403, "{}", r.json);
    let r = s.post(&format!("/api/v1/merges/{merge_id}/undo"), &lead, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json["undone_at"].is_string());
    let r = s.post(&format!("/api/v1/merges/{merge_id}/undo"), &lead, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.json);
    let d = s.get(&format!("/api/v1/customers/{dup}"), &agent).await.json;
    assert_eq!(
        (d["merged_into"].clone(), d["external_ids"].clone()),
        (Value::Null, json!({"billing": "ACCT-9"})),
        "{d}"
    );
    assert_eq!(d["emails"], json!(["annarossi+billing@gmail.com"]));
    let got = titles(s, &agent, &dup).await;
    assert!(got.contains(&"Card declined".to_string()) && !got.contains(&"Order #1".to_string()), "{got:?}");
    let got = titles(s, &agent, &kept).await;
    assert!(
        !got.contains(&"Card declined".to_string())
            && got.contains(&"Paid".to_string())
            && got.contains(&"Named".to_string()),
        "{got:?}"
    );
    let c = s.get(&format!("/api/v1/cases/{case_id}"), &agent).await.json;
    assert_eq!((c["customer_id"].clone(), c["revision"].clone()), (json!(dup), json!(3)), "{c}");
    let found = s.get("/api/v1/customers?q=annarossi%2Bbilling", &agent).await.json;
    let ids: Vec<&str> = found["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [dup.as_str()], "the billing address is the duplicate's again: {found}");
    let history = s.get(&format!("/api/v1/customers/{dup}/merges"), &agent).await.json;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    // And it is suggested again.
    let r = s.get(&format!("/api/v1/customers/{kept}/duplicates"), &agent).await;
    assert_eq!(r.json[0]["customer"]["id"], json!(dup), "the likeliest first: {}", r.json);
}

both_backends!(suggest_merge_and_undo);

/// Two leads on two API nodes merge the same pair at the same moment, each the other way
/// round: one merge happens, the other is told why not; nothing deadlocks, nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_merging_the_same_pair_both_ways() {
    let Some(s) = TestServer::start(common::Backend::Postgres).await else { return };
    let (node_b, store_b) = s.second_node().await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    for round in 0..5 {
        let mut a =
            ce(&format!("a-{round}"), "shop", "order_placed", &format!("A-{round}"), "2024-01-01T00:00:00Z", json!({}));
        a["customername"] = json!("Same Person");
        let mut b =
            ce(&format!("b-{round}"), "shop", "order_placed", &format!("B-{round}"), "2024-01-02T00:00:00Z", json!({}));
        b["customername"] = json!("Same Person");
        let (a, b) = (event(&s, &shop, a).await, event(&s, &shop, b).await);
        let tries =
            [(s.base.clone(), a.clone(), b.clone()), (node_b.url(), b.clone(), a.clone())].map(|(base, kept, from)| {
                let (client, lead) = (s.client.clone(), lead.clone());
                tokio::spawn(async move {
                    client
                        .post(format!("{base}/api/v1/customers/{kept}/merge"))
                        .bearer_auth(lead)
                        .json(&json!({"from": from}))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            });
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}");
        let (ca, cb) = (
            s.get(&format!("/api/v1/customers/{a}"), &lead).await.json,
            s.get(&format!("/api/v1/customers/{b}"), &lead).await.json,
        );
        let merged = [&ca, &cb].iter().filter(|c| !c["merged_into"].is_null()).count();
        assert_eq!(merged, 1, "exactly one of the two is merged away: {ca} {cb}");
        let kept = if ca["merged_into"].is_null() { &a } else { &b };
        assert_eq!(titles(&s, &lead, kept).await.len(), 3, "both orders and the merge on the one kept");
    }
    node_b.stop().await;
    store_b.close().await;
    s.finish().await;
}
