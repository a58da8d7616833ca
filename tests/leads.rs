//! Team leads' API over real HTTP, on SQLite and PostgreSQL: queues and their figures, a
//! queue's cases by SLA state, bulk reassignment, the summary report checked against small
//! hand-computed data sets, and who may do what.

mod common;

use casebook::domain::agent::Role;
use common::TestServer;
use serde_json::{json, Value};

const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

both_backends!(queues_sla_and_bulk_reassignment, summary_report_figures, report_permissions);

fn now_us() -> i64 {
    casebook::domain::time::to_micros(casebook::domain::time::now())
}

/// Sets a case's times (microseconds), as if it had been opened and worked at those times.
async fn set_times(s: &TestServer, id: &str, sets: &[(&str, Option<i64>)]) {
    let mut tx = s.store.begin_write().await.unwrap();
    for (col, v) in sets {
        let sql = if s.backend == common::Backend::Postgres {
            format!("UPDATE cases SET {col} = $1 WHERE id = $2")
        } else {
            format!("UPDATE cases SET {col} = ?1 WHERE id = ?2")
        };
        sqlx::query(&sql).bind(*v).bind(id.to_string()).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    // Written around the store: the report's daily rollups are counted again.
    s.store.rebuild_report_days().await.unwrap();
}

async fn open(s: &TestServer, token: &str, customer: &str, subject: &str, body: Value) -> Value {
    let mut req = json!({"customer_id": customer, "subject": subject});
    for (k, v) in body.as_object().unwrap() {
        req[k] = v.clone();
    }
    let r = s.post("/api/v1/cases", token, req).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json
}

async fn queues_sla_and_bulk_reassignment(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, anna_t) = s.agent("anna", Role::Agent, &["support"]).await;
    let (bruno, _) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let (_, otto) = s.agent("otto", Role::Lead, &["billing"]).await;
    let customer = s.customer(&admin, "C-1").await;
    let now = now_us();
    // Three waiting cases of anna's in `general`: one breached (urgent, 20 minutes old, not
    // answered), one at risk (normal, answered, 19 of 24 hours gone), one fine.
    let breached = open(s, &anna_t, &customer, "Breached", json!({"priority": "urgent", "status": "new"})).await;
    let bid = breached["id"].as_str().unwrap().to_string();
    set_times(s, &bid, &[("created_at", Some(now - 20 * MINUTE)), ("first_response_due", Some(now - 5 * MINUTE))])
        .await;
    let risky = open(s, &anna_t, &customer, "At risk", json!({"status": "open"})).await;
    let rid = risky["id"].as_str().unwrap().to_string();
    set_times(
        s,
        &rid,
        &[
            ("created_at", Some(now - 19 * HOUR)),
            ("first_response_due", Some(now - 15 * HOUR)),
            ("first_response_at", Some(now - 18 * HOUR)),
            ("resolution_due", Some(now + 5 * HOUR)),
        ],
    )
    .await;
    let fine = open(s, &anna_t, &customer, "Fine", json!({"status": "open", "priority": "low"})).await;
    let fid = fine["id"].as_str().unwrap().to_string();

    let q = s.get("/api/v1/queues", &anna_t).await;
    assert_eq!(q.status, 200, "{}", q.json);
    let general = q.json["queues"].as_array().unwrap().iter().find(|x| x["id"] == "general").unwrap().clone();
    let c = &general["counts"];
    assert_eq!(
        (c["waiting"].as_i64(), c["breached"].as_i64(), c["at_risk"].as_i64()),
        (Some(3), Some(1), Some(1)),
        "{c}"
    );
    assert_eq!((c["by_status"]["new"].as_i64(), c["by_status"]["open"].as_i64()), (Some(1), Some(2)));
    assert_eq!(c["by_age"]["under_1h"], 2);
    assert_eq!(c["by_age"]["4h_24h"], 1);
    let anna_load = q.json["workload"].as_array().unwrap().iter().find(|w| w["name"] == "anna").unwrap().clone();
    assert_eq!((anna_load["waiting"].as_i64(), anna_load["breached"].as_i64()), (Some(3), Some(1)));
    assert_eq!(q.json["sla_policies"][0]["priority"], "urgent");

    // The queue's cases by SLA state: the SQL filter and the state computed per case agree.
    for (sla, want) in [("breached", &bid), ("at_risk", &rid), ("ok", &fid)] {
        let r = s.get(&format!("/api/v1/queues/general/cases?sla={sla}"), &lena).await;
        let cases = r.json["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 1, "{sla}: {}", r.json);
        assert_eq!((cases[0]["id"].as_str(), cases[0]["sla"].as_str()), (Some(want.as_str()), Some(sla)));
    }
    // Sorted by priority, two to a page, the cursor tied to the order.
    let r = s.get("/api/v1/queues/general/cases?sort=priority&limit=2", &lena).await;
    let subjects: Vec<&str> =
        r.json["cases"].as_array().unwrap().iter().map(|c| c["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Breached", "At risk"]);
    let cursor = r.json["next_cursor"].as_str().unwrap().to_string();
    let r = s.get(&format!("/api/v1/queues/general/cases?sort=priority&limit=2&cursor={cursor}"), &lena).await;
    assert_eq!(r.json["cases"][0]["subject"], "Fine");
    assert!(r.json["next_cursor"].is_null());
    let r = s.get(&format!("/api/v1/queues/general/cases?sort=age&cursor={cursor}"), &lena).await;
    assert_eq!((r.status, r.code()), (400, "invalid-cursor"));
    let r = s.get("/api/v1/queues/general/cases?sort=age", &lena).await;
    assert_eq!(r.json["cases"][0]["subject"], "At risk", "oldest first");
    let r = s.get("/api/v1/queues/general/cases?sla=late", &lena).await;
    assert_eq!((r.status, r.code()), (400, "invalid-parameter"));
    assert!(s.get("/api/v1/queues/nowhere/cases", &lena).await.status == 404);

    // Bulk: the lead moves the breached case to bruno and raises the other; a stale revision
    // is a conflict with the case as it is; otto (another team's lead) is refused.
    let r = s
        .post(
            "/api/v1/cases/bulk",
            &lena,
            json!({"changes": [
                {"id": bid, "revision": breached["revision"], "assignee_id": bruno.id},
                {"id": rid, "revision": risky["revision"], "priority": "high"},
                {"id": fid, "revision": 99, "assignee_id": bruno.id},
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let res = r.json["results"].as_array().unwrap();
    assert_eq!(res[0]["status"], "applied");
    assert_eq!(res[0]["case"]["assignee_id"], bruno.id.to_string());
    assert_eq!(res[1]["status"], "applied");
    assert_eq!(res[1]["case"]["priority"], "high");
    // Raised to high, its due times are counted again from the opening with the stored policy
    // (8 hours to resolve): 19 hours in, it is breached now.
    let due = casebook::domain::time::parse_rfc3339(res[1]["case"]["resolution_due"].as_str().unwrap()).unwrap();
    assert_eq!(casebook::domain::time::to_micros(due), now - 19 * HOUR + 8 * HOUR);
    let r = s.get("/api/v1/queues/general/cases?sla=breached", &lena).await;
    let breached_now: Vec<&str> =
        r.json["cases"].as_array().unwrap().iter().map(|c| c["subject"].as_str().unwrap()).collect();
    assert!(breached_now.contains(&"At risk"), "{breached_now:?}");
    assert_eq!(res[2]["status"], "conflict");
    assert_eq!(res[2]["current"]["id"], fid.as_str());
    let r = s
        .post("/api/v1/cases/bulk", &otto, json!({"changes": [{"id": fid, "revision": 1, "assignee_id": bruno.id}]}))
        .await;
    assert_eq!(r.json["results"][0]["status"], "rejected");
    assert_eq!(r.json["results"][0]["problem"]["status"], 403);
    // An agent may not hand anna's case to bruno.
    let (_, bruno_t) = s.agent("bruno2", Role::Agent, &["support"]).await;
    let r = s
        .post("/api/v1/cases/bulk", &bruno_t, json!({"changes": [{"id": fid, "revision": 1, "assignee_id": bruno.id}]}))
        .await;
    assert_eq!(r.json["results"][0]["status"], "rejected");
    assert!(r.json["results"][0]["problem"]["detail"].as_str().unwrap().contains("lead of team"));
    let r = s.post("/api/v1/cases/bulk", &lena, json!({"changes": []})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    // Bruno's load went up, anna's down.
    let q = s.get("/api/v1/queues", &lena).await;
    let load = |name: &str| {
        q.json["workload"].as_array().unwrap().iter().find(|w| w["name"] == name).unwrap()["waiting"].as_i64()
    };
    assert_eq!((load("anna"), load("bruno")), (Some(2), Some(1)));
    let _ = anna;
}

/// A small period worked by hand: what the report must say.
async fn summary_report_figures(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (anna, anna_t) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let (_, bea_t) = s.agent("bea", Role::Agent, &["billing"]).await;
    let survey = s.ingest_token("survey").await;
    let customer = s.customer(&admin, "C-1").await;
    let other = s.customer(&admin, "C-2").await;
    let now = now_us();
    let day = 24 * HOUR;
    let from = now - 10 * day;

    // Four support cases of anna's, opened in the period:
    //  a: resolved after 2 h, RASA complete, positive, in time
    //  b: resolved after 4 h, RASA incomplete, negative, resolution late (due after 3 h)
    //  c: resolved after 10 h, RASA complete, negative, in time
    //  d: still open, past its resolution due time
    // and one billing case of bea's (another team), resolved.
    let mut ids = vec![];
    for (subject, outcome, hours, complete) in
        [("a", "positive", 2, true), ("b", "negative", 4, false), ("c", "negative", 10, true)]
    {
        let c = open(s, &anna_t, &customer, subject, json!({"status": "open"})).await;
        let id = c["id"].as_str().unwrap().to_string();
        if complete {
            for step in ["receive", "appreciate", "summarize", "ask"] {
                let r = s
                    .put(&format!("/api/v1/cases/{id}/rasa/{step}"), &anna_t, json!({"notes": "x", "done": true}))
                    .await;
                assert_eq!(r.status, 200);
            }
        }
        let mut body = json!({"revision": c["revision"], "summary": "done", "outcome": outcome});
        if !complete {
            body["rasa_incomplete_reason"] = json!("customer left");
        }
        let r = s.put(&format!("/api/v1/cases/{id}/resolution"), &anna_t, body).await;
        assert_eq!(r.status, 200, "{}", r.json);
        let opened = from + day;
        let due = if subject == "b" { opened + 3 * HOUR } else { opened + day };
        set_times(
            s,
            &id,
            &[
                ("created_at", Some(opened)),
                ("first_response_at", Some(opened)),
                ("first_response_due", Some(opened + HOUR)),
                ("resolution_due", Some(due)),
                ("resolved_at", Some(opened + hours * HOUR)),
            ],
        )
        .await;
        ids.push(id);
    }
    let d = open(s, &anna_t, &customer, "d", json!({"status": "open"})).await;
    let did = d["id"].as_str().unwrap().to_string();
    set_times(s, &did, &[("created_at", Some(from + 2 * day)), ("resolution_due", Some(now - HOUR))]).await;
    let bill =
        open(s, &bea_t, &other, "billing one", json!({"status": "open", "team": "billing", "queue": "billing"})).await;
    let r = s
        .put(
            &format!("/api/v1/cases/{}/resolution", bill["id"].as_str().unwrap()),
            &bea_t,
            json!({"revision": bill["revision"], "summary": "refunded", "outcome": "memorable", "rasa_incomplete_reason": "quick"}),
        )
        .await;
    assert_eq!(r.status, 200);

    // Follow-ups on a (done on time), b (done late), c (open, overdue), d (open, upcoming).
    for (case, due, done_at) in [
        (&ids[0], now - 2 * day, Some(now - 2 * day - HOUR)),
        (&ids[1], now - 2 * day, Some(now - day)),
        (&ids[2], now - day, None),
        (&did, now + day, None),
    ] {
        let due_t = casebook::domain::time::from_micros(due);
        let r = s.post("/api/v1/followups", &anna_t, json!({"case_id": case, "due_at": due_t, "note": "call"})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        if let Some(done) = done_at {
            let f = r.json["id"].as_str().unwrap();
            let r = s.patch(&format!("/api/v1/followups/{f}"), &anna_t, json!({"revision": 1, "status": "done"})).await;
            assert_eq!(r.status, 200);
            let mut tx = s.store.begin_write().await.unwrap();
            let sql = if s.backend == common::Backend::Postgres {
                "UPDATE followups SET done_at = $1 WHERE id = $2"
            } else {
                "UPDATE followups SET done_at = ?1 WHERE id = ?2"
            };
            sqlx::query(sql).bind(done).bind(f.to_string()).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }
    // Surveys: CSAT 4 naming case a; CSAT 2 and NPS 10 for the customer a day after c's
    // resolution (→ c, the latest resolved before); NPS 3 naming case b; NPS 8 for a customer
    // with no case resolved before it (left out).
    let after_c = casebook::domain::time::from_micros(from + day + 10 * HOUR + day).to_rfc3339();
    let in_period = casebook::domain::time::from_micros(from + 3 * day).to_rfc3339();
    let events = json!([
        {"specversion": "1.0", "id": "s1", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[0], "data": {"score": 4}},
        {"specversion": "1.0", "id": "s2", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": after_c, "casebookcustomer": customer, "data": {"score": 2}},
        {"specversion": "1.0", "id": "s3", "source": "survey", "type": "x.nps_response", "subject": "C-1",
         "time": after_c, "casebookcustomer": customer, "data": {"score": 10}},
        {"specversion": "1.0", "id": "s4", "source": "survey", "type": "x.nps_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[1], "data": {"score": 3}},
        {"specversion": "1.0", "id": "s5", "source": "survey", "type": "x.nps_response", "subject": "C-9",
         "time": in_period, "customername": "Nobody", "data": {"score": 8}},
        // Scores that are not whole numbers within the scale are left out: 4.5, "5", 7 of 5,
        // none at all.
        {"specversion": "1.0", "id": "s6", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[0], "data": {"score": 4.5}},
        {"specversion": "1.0", "id": "s7", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[0], "data": {"score": "5"}},
        {"specversion": "1.0", "id": "s8", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[0], "data": {"score": 7}},
        {"specversion": "1.0", "id": "s9", "source": "survey", "type": "x.csat_response", "subject": "C-1",
         "time": in_period, "casebookcase": ids[0], "data": {"rating": 5}},
    ]);
    let r = s.events(&survey, "application/cloudevents-batch+json", events).await;
    assert_eq!(r.status, 200, "{}", r.json);

    let from_t = casebook::domain::time::from_micros(from).to_rfc3339();
    let to_t = casebook::domain::time::from_micros(now + 2 * day).to_rfc3339();
    let q = format!("/api/v1/reports/summary?from={}&to={}", urlencode(&from_t), urlencode(&to_t));
    let r = s.get(&q, &lena).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let t = &r.json["total"];
    assert_eq!(r.json["teams"], json!(["support"]), "a lead's own teams by default");
    assert_eq!((t["opened"].as_i64(), t["resolved"].as_i64()), (Some(4), Some(3)), "{t}");
    assert_eq!(t["median_handle_secs"], 4 * 3600, "median of 2 h, 4 h, 10 h");
    assert_eq!(t["sla_breaches"], 2, "b resolved late, d waiting past due");
    assert!((t["rasa_completion_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(t["outcomes"], json!({"memorable": 0, "positive": 1, "negative": 2, "forgettable": 0}));
    assert_eq!(t["followups"], json!({"on_time": 1, "late": 1, "overdue": 1, "upcoming": 1}));
    assert_eq!((t["csat_responses"].as_i64(), t["csat_average"].as_f64()), (Some(2), Some(3.0)));
    // NPS: 10 (promoter) and 3 (detractor) → 50 % − 50 % = 0.
    assert_eq!((t["nps_responses"].as_i64(), t["nps"].as_f64()), (Some(2), Some(0.0)));
    // Per day, for the charts: every day of the period, the same totals.
    let daily = r.json["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 13, "12 days, spanning 13 calendar days");
    let sum = |k: &str| daily.iter().map(|d| d[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("opened"), sum("resolved"), sum("csat_responses")), (4, 3, 2));
    let anna_row = r.json["by_agent"].as_array().unwrap().iter().find(|a| a["name"] == "anna").unwrap().clone();
    assert_eq!(anna_row["agent_id"], anna.id.to_string());
    assert_eq!(anna_row["resolved"], 3);
    let general = r.json["by_queue"].as_array().unwrap().iter().find(|q| q["queue"] == "general").unwrap().clone();
    assert_eq!(general["opened"], 4);

    // An admin sees every team: the billing case too.
    let r = s.get(&q, &admin).await;
    assert_eq!((r.json["total"]["resolved"].as_i64(), r.json["teams"].clone()), (Some(4), json!([])));
    // Billing alone: no surveys, no follow-ups — empty figures are nulls and zeros.
    let r = s.get(&format!("{q}&team=billing"), &admin).await;
    let b = &r.json["total"];
    assert_eq!(
        (b["resolved"].as_i64(), b["csat_average"].clone(), b["nps"].clone()),
        (Some(1), Value::Null, Value::Null)
    );
    assert_eq!(b["rasa_completion_rate"], 0.0);
    // An empty period: zeros and nulls, no error.
    let empty = format!(
        "/api/v1/reports/summary?from={}&to={}",
        urlencode("2020-01-01T00:00:00Z"),
        urlencode("2020-01-02T00:00:00Z")
    );
    let r = s.get(&empty, &lena).await;
    let e = &r.json["total"];
    assert_eq!(
        (e["opened"].as_i64(), e["median_handle_secs"].clone(), e["rasa_completion_rate"].clone()),
        (Some(0), Value::Null, Value::Null)
    );
    assert_eq!(r.json["by_queue"], json!([]));
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn report_permissions(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, agent) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let (_, loner) = s.agent("lone", Role::Lead, &[]).await;
    for (token, team, status) in [
        (&agent, "", 403),
        (&agent, "support", 403),
        (&lead, "", 200),
        (&lead, "support", 200),
        (&lead, "billing", 403),
        (&loner, "", 403),
        (&admin, "", 200),
        (&admin, "billing", 200),
    ] {
        let r = s.get(&format!("/api/v1/reports/summary?team={team}"), token).await;
        assert_eq!(r.status, status, "team `{team}`: {}", r.json);
        if status == 403 {
            assert_eq!(r.code(), "forbidden");
            assert!(!r.json["detail"].as_str().unwrap().is_empty());
        }
    }
    let r = s.get("/api/v1/reports/summary?from=yesterday", &lead).await;
    assert_eq!((r.status, r.code()), (400, "invalid-parameter"));
    let r = s.get("/api/v1/reports/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", &lead).await;
    assert_eq!(r.status, 400);
}
