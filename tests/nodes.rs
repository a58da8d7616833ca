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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_puller_sees_every_change_once_while_two_nodes_write() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (node_b, store_b) = s.second_node().await;
    let bases = [s.base.clone(), node_b.url()];
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-1").await;
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Busy case"})).await.json;
    let case_id = case["id"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();

    // Four writers, notes through both nodes at once.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, bases, agent, case_id) = (client.clone(), bases.clone(), agent.clone(), case_id.clone());
            tokio::spawn(async move {
                for i in 0..25 {
                    let base = &bases[(w + i) % 2];
                    let r = client
                        .post(format!("{base}/api/v1/cases/{case_id}/notes"))
                        .bearer_auth(&agent)
                        .json(&json!({"body": format!("writer {w} note {i}")}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                }
            })
        })
        .collect();

    // Meanwhile a puller on node A with small pages.
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor = String::new();
    let mut writers_done = false;
    loop {
        let page: Value = client
            .get(format!("{}/api/v1/sync/pull?limit=7&cursor={cursor}", bases[0]))
            .bearer_auth(&agent)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(page["changes"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()));
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if page["has_more"] == false {
            if writers_done {
                break;
            }
            writers_done = writers.iter().all(|w| w.is_finished());
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let expected: Vec<i64> = (1..=101).collect();
    assert_eq!(seen, expected, "every change exactly once, in order, no gap (1 case + 100 notes)");

    node_b.stop().await;
    store_b.close().await;
    s.finish().await;
}

/// The mechanism itself: while one transaction holds change number N uncommitted, a later
/// write (on any node) cannot become visible with N + 1 — it waits — so no puller can pass N.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_write_waits_for_an_earlier_uncommitted_change() {
    use sqlx::Connection;
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-1").await;
    let case = s.post("/api/v1/cases", &agent, json!({"customer_id": customer, "subject": "Order"})).await.json;
    let case_id = case["id"].as_str().unwrap().to_string();

    // Another node, mid-transaction: it has taken change number 2 and not committed yet.
    let mut other = sqlx::PgConnection::connect(&s.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    let n: i64 = sqlx::query_scalar("UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(n, 2);

    // A note written now must wait for it.
    let (base, token, id) = (s.base.clone(), agent.clone(), case_id.clone());
    let write = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/cases/{id}/notes"))
            .bearer_auth(token)
            .json(&json!({"body": "later"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!write.is_finished(), "the later write must wait for the earlier change number");
    let page = s.get("/api/v1/sync/pull", &agent).await;
    let seqs: Vec<i64> = page.json["changes"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1], "nothing past the uncommitted number is visible");

    sqlx::query("INSERT INTO changes (seq, entity, entity_id, case_id, customer_id, body, at) VALUES ($1, 'note', $2, $3, $4, '{}', 0)")
        .bind(n)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&case_id)
        .bind(&customer)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    assert_eq!(write.await.unwrap(), 201);
    let page = s.get("/api/v1/sync/pull", &agent).await;
    let seqs: Vec<i64> = page.json["changes"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    s.finish().await;
}

/// The same push sent to two nodes at once (a client retrying on another node while the first
/// request is still running): every operation is applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_push_on_two_nodes_applies_once() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (node_b, store_b) = s.second_node().await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let customer = s.customer(&admin, "C-1").await;
    let case_id = uuid::Uuid::now_v7();
    let mut ops = vec![json!({"id": uuid::Uuid::now_v7(), "seq": 1, "kind": "case.open",
        "payload": {"case_id": case_id, "fields": {"customer_id": customer, "subject": "Twice"}}})];
    for i in 2..=30 {
        ops.push(json!({"id": uuid::Uuid::now_v7(), "seq": i, "kind": "note.add",
            "payload": {"case_id": case_id, "note_id": uuid::Uuid::now_v7(), "fields": {"body": format!("note {i}")}}}));
    }
    let body = json!({"device_id": uuid::Uuid::now_v7(), "operations": ops});
    let client = reqwest::Client::new();
    let sends: Vec<_> = [s.base.clone(), node_b.url()]
        .into_iter()
        .map(|base| {
            let (client, body, agent) = (client.clone(), body.clone(), agent.clone());
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/sync/push"))
                    .bearer_auth(agent)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut applied = 0;
    for send in sends {
        let r = send.await.unwrap();
        for res in r["results"].as_array().unwrap() {
            let status = res["status"].as_str().unwrap();
            assert!(matches!(status, "applied" | "duplicate" | "retry"), "{res}");
            applied += usize::from(status == "applied");
        }
    }
    assert_eq!(applied, 30, "each operation applied by exactly one of the two requests");
    let notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_notes").fetch_one(s.store.reader()).await.unwrap();
    assert_eq!(notes, 29);
    node_b.stop().await;
    store_b.close().await;
    s.finish().await;
}

/// A case as a node has it now.
async fn case_now(client: &reqwest::Client, base: &str, token: &str, case: &str) -> Value {
    client.get(format!("{base}/api/v1/cases/{case}")).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

/// A push (many operations on many cases in one transaction) racing PATCHes of the same cases
/// on two nodes: every writer takes its row locks first and the change counter last, so no
/// transaction is chosen as a deadlock victim (no 503, no `retry`), and the feed has no gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_and_patches_on_the_same_cases_never_deadlock() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let (node_b, _store_b) = s.second_node().await;
    let bases = [s.base.clone(), node_b.url()];
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let shop = s.ingest_token("shop").await;
    let customer = s.customer(&shop, "C-1").await;
    let mut cases = Vec::new();
    for i in 0..8 {
        let r = s.post("/api/v1/cases", &admin, json!({"customer_id": customer, "subject": format!("Case {i}")})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        cases.push(r.json["id"].as_str().unwrap().to_string());
    }
    let client = reqwest::Client::new();
    let priorities = ["low", "normal", "high"];
    let mut tasks = Vec::new();
    // Two pushers: each push changes every case, in an order of its own.
    for p in 0..2usize {
        let (client, base, token, cases) = (client.clone(), bases[p].clone(), admin.clone(), cases.clone());
        tasks.push(tokio::spawn(async move {
            let device = uuid::Uuid::now_v7();
            let mut seq = 0i64;
            let mut bad = Vec::new();
            for round in 0..15usize {
                let mut ops = Vec::new();
                for k in 0..cases.len() {
                    let case = &cases[(k + round + p * 3) % cases.len()];
                    // The revision as read now, so that most changes apply (and lock the row).
                    let read = case_now(&client, &base, &token, case).await;
                    seq += 1;
                    ops.push(json!({"id": uuid::Uuid::now_v7(), "seq": seq, "kind": "note.add",
                        "payload": {"case_id": case, "note_id": uuid::Uuid::now_v7(), "fields": {"body": format!("push {p}/{round}")}}}));
                    seq += 1;
                    ops.push(json!({"id": uuid::Uuid::now_v7(), "seq": seq, "kind": "case.change",
                        "payload": {"case_id": case, "fields": {"revision": read["revision"], "priority": priorities[(round + k) % 3]}}}));
                }
                let r = client
                    .post(format!("{base}/api/v1/sync/push"))
                    .bearer_auth(&token)
                    .json(&json!({"device_id": device, "operations": ops}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                if status != 200 {
                    bad.push(format!("push {status}: {body}"));
                    continue;
                }
                for res in body["results"].as_array().unwrap() {
                    if res["status"] == "retry" {
                        bad.push(format!("retry: {res}"));
                    }
                }
            }
            bad
        }));
    }
    // Four PATCH writers, two per node, each going round the cases in another order.
    for w in 0..4usize {
        let (client, base, token, cases) = (client.clone(), bases[w % 2].clone(), admin.clone(), cases.clone());
        tasks.push(tokio::spawn(async move {
            let mut bad = Vec::new();
            for i in 0..60usize {
                let case = &cases[(i * (w + 1) + w) % cases.len()];
                let read = case_now(&client, &base, &token, case).await;
                let r = client
                    .patch(format!("{base}/api/v1/cases/{case}"))
                    .bearer_auth(&token)
                    .json(&json!({"revision": read["revision"], "priority": priorities[(i + w) % 3]}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                if status != 200 && status != 409 {
                    bad.push(format!("patch {status}: {}", r.text().await.unwrap_or_default()));
                }
            }
            bad
        }));
    }
    let mut bad = Vec::new();
    for t in tasks {
        bad.extend(t.await.unwrap());
    }
    assert!(bad.is_empty(), "{} writes failed, first: {:?}", bad.len(), bad.first());
    // The feed numbers every change once, without gaps.
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM changes ORDER BY seq").fetch_all(s.store.reader()).await.unwrap();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap-free feed");
    node_b.stop().await;
    s.finish().await;
}
