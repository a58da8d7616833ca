//! Several stateless API nodes on one PostgreSQL database behave as one: concurrent start-up
//! migrates once, concurrent ingestion creates each customer and event once, and concurrent
//! changes with the same revision apply once.

mod common;

use casebook::domain::agent::Role;
use casebook::store::Store;
use common::{ce, Backend, TestServer};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_start_concurrently_on_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = common::fresh_database(Backend::Postgres, dir.path()).await else { return };
    let opens = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { Store::open(&url).await })
    });
    for o in opens {
        let store = o.await.unwrap().expect("every node starts");
        store.close().await;
    }
    common::drop_pg_database(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_ingest_and_change_as_one() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (node_b, store_b) = s.second_node().await;
    let bases = [s.base.clone(), node_b.url()];
    let ingest = s.ingest_token("shop").await;
    let client = reqwest::Client::new();

    // 8 posters, half on each node, all posting the same 40 events about 20 new customers,
    // each batch in another order.
    let events: Vec<Value> = (0..40)
        .map(|i| {
            let mut e = ce(
                &format!("o-{i}"),
                "shop",
                "order_placed",
                &format!("C-{}", i % 20),
                "2024-01-01T00:00:00Z",
                json!({}),
            );
            e["customeremail"] = json!(format!("c{}@example.com", i % 20));
            e
        })
        .collect();
    let mut tasks = Vec::new();
    for p in 0..8 {
        let mut batch = events.clone();
        batch.rotate_left(p * 5);
        if p % 2 == 1 {
            batch.reverse();
        }
        let (client, base, token) = (client.clone(), bases[p % 2].clone(), ingest.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(token)
                .header("content-type", "application/cloudevents-batch+json")
                .json(&batch)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut created = 0;
    let mut owner_of: std::collections::HashMap<String, String> = Default::default();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r["rejected"], 0, "{r}");
        created += r["created"].as_u64().unwrap();
        for res in r["results"].as_array().unwrap() {
            let id = res["id"].as_str().unwrap().to_string();
            let customer = res["customer_id"].as_str().unwrap().to_string();
            if let Some(prev) = owner_of.insert(id.clone(), customer.clone()) {
                assert_eq!(prev, customer, "event {id} reported with two customers");
            }
        }
    }
    assert_eq!(created, 40, "each event created exactly once across both nodes");
    let customers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(s.store.reader()).await.unwrap();
    assert_eq!(customers, 20, "each customer created exactly once");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE source = 'shop'")
        .fetch_one(s.store.reader())
        .await
        .unwrap();
    assert_eq!(stored, 40);

    // The same revision sent through both nodes at once: one applies, the other is told.
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let customer = owner_of["o-0"].clone();
    for round in 0..10 {
        let case = s
            .post(
                "/api/v1/cases",
                &lead,
                json!({"customer_id": customer, "subject": format!("race {round}"), "team": "support"}),
            )
            .await
            .json;
        let id = case["id"].as_str().unwrap().to_string();
        let patches = ["high", "urgent"].iter().enumerate().map(|(i, p)| {
            let (client, base, lead, id) = (client.clone(), bases[i].clone(), lead.clone(), id.clone());
            let p = p.to_string();
            tokio::spawn(async move {
                client
                    .patch(format!("{base}/api/v1/cases/{id}"))
                    .bearer_auth(lead)
                    .json(&json!({"revision": 1, "priority": p}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        });
        let mut statuses = Vec::new();
        for p in patches {
            statuses.push(p.await.unwrap());
        }
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
        let now = s.get(&format!("/api/v1/cases/{id}"), &lead).await.json;
        assert_eq!(now["revision"], 2);
    }

    node_b.stop().await;
    store_b.close().await;
    s.finish().await;
}
