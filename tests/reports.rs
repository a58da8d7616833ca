//! The report's root causes and contact reasons, and the cases behind its figures, over
//! loopback on SQLite and PostgreSQL against a hand-worked set of cases; and `casebook report
//! --format csv` read back.

mod common;

use std::collections::BTreeSet;

use casebook::domain::agent::Role;
use common::TestServer;
use serde_json::{json, Value};

/// Opens a case and resolves it with `whys` and `outcome` (when given); its id.
async fn case(s: &TestServer, token: &str, customer: &str, subject: &str, resolve: Option<(&[&str], &str)>) -> String {
    let r =
        s.post("/api/v1/cases", token, json!({"customer_id": customer, "subject": subject, "team": "support"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    if let Some((whys, outcome)) = resolve {
        let r = s
            .put(
                &format!("/api/v1/cases/{id}/resolution"),
                token,
                json!({"revision": 1, "summary": "Done", "root_cause": whys, "outcome": outcome, "rasa_incomplete_reason": "a test"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    id
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

async fn root_causes_reasons_and_drill_down(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    // Hand-worked: two resolutions blame the carrier (written two ways), one an expired card;
    // two cases are about a double charge (different orders), one a parcel; one still open.
    let c1 = case(
        s,
        &anna,
        &customer,
        "Charged twice for order #1234",
        Some((&["Expired card", "bank retried"], "negative")),
    )
    .await;
    let c2 =
        case(s, &anna, &customer, "Parcel stuck at the depot", Some((&["Carrier lost the parcel."], "negative"))).await;
    let c3 = case(
        s,
        &anna,
        &customer,
        "charged twice for order 98",
        Some((&["  ", "carrier   lost the PARCEL"], "positive")),
    )
    .await;
    let c4 = case(s, &anna, &customer, "Wrong size delivered", None).await;

    let r = s.get("/api/v1/reports/summary", &lena).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::GET, "/api/v1/reports/summary", 200, "application/json", &r.json);
    assert_eq!(
        r.json["root_causes"],
        json!([{"key": "carrier lost the parcel", "count": 2, "previous": 0}, {"key": "expired card", "count": 1, "previous": 0}])
    );
    assert_eq!(
        r.json["contact_reasons"],
        json!([
            {"key": "charged twice for order #", "count": 2, "previous": 0},
            {"key": "parcel stuck at the depot", "count": 1, "previous": 0},
            {"key": "wrong size delivered", "count": 1, "previous": 0}
        ])
    );
    let total = r.json["total"].clone();
    // Cases written before the keys were kept on write get them when the database is opened.
    sqlx::query("UPDATE cases SET contact_reason_key = NULL, root_cause_key = NULL")
        .execute(s.store.reader())
        .await
        .unwrap();
    let reopened = casebook::store::Store::open(&s.url).await.unwrap();
    let teams = ["support".to_string()];
    let (from, to) =
        (r.json["from"].as_str().unwrap().parse().unwrap(), r.json["to"].as_str().unwrap().parse().unwrap());
    let again = reopened.summary_report(from, to, &teams, chrono::Utc::now()).await.unwrap();
    assert_eq!(serde_json::to_value(&again.root_causes).unwrap(), r.json["root_causes"]);
    assert_eq!(serde_json::to_value(&again.contact_reasons).unwrap(), r.json["contact_reasons"]);
    reopened.close().await;
    let days = r.json["daily"].as_array().unwrap().len();

    // Exactly the cases behind each figure.
    let drill = |q: &str| format!("/api/v1/reports/cases?{q}");
    let r = s.get(&drill("figure=root_cause&key=carrier%20lost%20the%20parcel"), &lena).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::GET, "/api/v1/reports/cases", 200, "application/json", &r.json);
    assert_eq!(ids(&r.json), BTreeSet::from([c2.clone(), c3.clone()]));
    let r = s.get(&drill("figure=contact_reason&key=charged%20twice%20for%20order%20%23"), &lena).await;
    assert_eq!(ids(&r.json), BTreeSet::from([c1.clone(), c3.clone()]));
    let r = s.get(&drill("figure=opened"), &lena).await;
    assert_eq!(r.json["total"], total["opened"]);
    assert_eq!(ids(&r.json), BTreeSet::from([c1.clone(), c2.clone(), c3.clone(), c4.clone()]));
    let r = s.get(&drill("figure=resolved"), &lena).await;
    assert_eq!(r.json["total"], total["resolved"]);
    let r = s.get(&drill("figure=outcome&key=negative"), &lena).await;
    assert_eq!(
        (ids(&r.json), &r.json["total"]),
        (BTreeSet::from([c1.clone(), c2.clone()]), &total["outcomes"]["negative"])
    );
    let r = s.get(&drill("figure=breached"), &lena).await;
    assert_eq!(r.json["total"], total["sla_breaches"]);
    let r = s.get(&drill("figure=opened&queue=general&agent=none"), &lena).await;
    assert!(ids(&r.json).is_empty(), "all are anna's: {}", r.json);
    // As the console asks for them (the period of the report it shows).
    let summary = s.get("/api/v1/reports/summary", &lena).await.json;
    let client = casebook::client::ApiClient::new(&s.base, &lena).unwrap();
    let q = casebook::wire::leads::ReportCasesQuery {
        from: summary["from"].as_str().unwrap().parse().unwrap(),
        to: summary["to"].as_str().unwrap().parse().unwrap(),
        team: None,
        figure: casebook::wire::leads::ReportFigure::RootCause,
        key: Some("expired card".into()),
        queue: None,
        agent: None,
    };
    let cases = client.report_cases(&q).await.unwrap();
    assert_eq!(cases.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(), vec![c1.clone()]);

    // What is wrong is said; agents read no report.
    assert_eq!(s.get(&drill("figure=everything"), &lena).await.status, 400);
    let r = s.get(&drill("figure=root_cause"), &lena).await;
    assert_eq!(ids(&r.json), BTreeSet::from([c1.clone(), c2.clone(), c3.clone()]), "every root cause");
    assert_eq!(s.get(&drill("figure=opened"), &anna).await.status, 403);

    // The export, read back: every table, the same figures.
    let db = s.url.clone();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["report", "--format", "csv", "--team", "support", "--database", &db])
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let row = |table: &str, name: &str| rows.iter().find(|r| &r[0] == table && &r[1] == name).cloned();
    let t = row("total", "").expect("the total");
    assert_eq!((&t[col("opened")], &t[col("resolved")], &t[col("negative")]), ("4", "3", "2"));
    let cause = row("root_cause", "carrier lost the parcel").expect("the root cause");
    assert_eq!((&cause[col("count")], &cause[col("previous")]), ("2", "0"));
    assert!(row("contact_reason", "charged twice for order #").is_some());
    assert!(row("queue", "general").is_some() && row("agent", "anna").is_some());
    assert_eq!(rows.iter().filter(|r| &r[0] == "day").count(), days, "every day the period touches");
}

both_backends!(root_causes_reasons_and_drill_down);

/// The report's daily rollups, kept on write, agree with the cases themselves: cases spread
/// over days (times moved by hand, the rollups counted afresh), then worked through the API —
/// resolved, handed to another agent, moved to another team, reopened, new ones opened — and
/// for periods with whole and partial days, every team and one, the report read from the
/// rollups is the report counted from the cases alone.
async fn rollups_agree_with_the_cases(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (bruno, _) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support", "billing"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let now = casebook::domain::time::to_micros(casebook::domain::time::now());
    let hour = 3_600_000_000i64;
    let mut cases = vec![];
    for i in 0..10i64 {
        let resolve =
            (i % 3 != 0).then_some((&["Carrier lost it"][..], if i % 2 == 0 { "negative" } else { "positive" }));
        let id = case(s, &anna, &customer, &format!("Parcel {i}"), resolve).await;
        // Opened i days and some hours ago; resolved (when it is) 5 hours after.
        let opened = now - i * 24 * hour - (i * 7 % 24) * hour;
        let mut tx = s.store.begin_write().await.unwrap();
        let (set_created, set_resolved) = if s.backend == common::Backend::Postgres {
            (
                "UPDATE cases SET created_at = $1 WHERE id = $2",
                "UPDATE cases SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NOT NULL",
            )
        } else {
            (
                "UPDATE cases SET created_at = ?1 WHERE id = ?2",
                "UPDATE cases SET resolved_at = ?1 WHERE id = ?2 AND resolved_at IS NOT NULL",
            )
        };
        sqlx::query(set_created).bind(opened).bind(id.clone()).execute(&mut *tx).await.unwrap();
        sqlx::query(set_resolved).bind(opened + 5 * hour).bind(id.clone()).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        cases.push(id);
    }
    s.store.rebuild_report_days().await.unwrap();

    // Worked through the API from here: the rollups follow on write.
    let lena_ref = lena.as_str();
    let get = |id: String| async move { s.get(&format!("/api/v1/cases/{id}"), lena_ref).await.json };
    // Case 3 (opened days ago, open) resolved now.
    let c3 = get(cases[3].clone()).await;
    let r = s
        .put(
            &format!("/api/v1/cases/{}/resolution", cases[3]),
            &anna,
            json!({"revision": c3["revision"], "summary": "Done", "outcome": "memorable", "rasa_incomplete_reason": "a test"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    // Case 1 (resolved days ago) handed to bruno; case 2 moved to billing; case 4 reopened.
    let c1 = get(cases[1].clone()).await;
    let r = s
        .post(
            "/api/v1/cases/bulk",
            &lena,
            json!({"changes": [{"id": cases[1], "revision": c1["revision"], "assignee_id": bruno.id}]}),
        )
        .await;
    assert_eq!(r.json["results"][0]["status"], "applied", "{}", r.json);
    let c2 = get(cases[2].clone()).await;
    let r = s
        .patch(&format!("/api/v1/cases/{}", cases[2]), &lena, json!({"revision": c2["revision"], "queue": "billing"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let c4 = get(cases[4].clone()).await;
    let r = s
        .patch(&format!("/api/v1/cases/{}", cases[4]), &anna, json!({"revision": c4["revision"], "status": "open"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    case(s, &anna, &customer, "New today", Some((&["Expired card"], "positive"))).await;
    case(s, &anna, &customer, "New and open", None).await;

    let at = casebook::domain::time::now();
    let t = |us: i64| casebook::domain::time::from_micros(us);
    let periods = [
        (now - 30 * 24 * hour, now + hour),
        (now - 3 * 24 * hour - 5 * hour, now - 24 * hour + 2 * hour),
        (now - 9 * 24 * hour, now - 2 * hour),
        (now - 2 * hour, now + hour),
    ];
    for (f, u) in periods {
        for teams in [vec![], vec!["support".to_string()], vec!["billing".to_string()]] {
            let rolled = s.store.summary_report(t(f), t(u), &teams, at).await.unwrap();
            let scanned = s.store.summary_report_scanned(t(f), t(u), &teams, at).await.unwrap();
            let (a, b) = (serde_json::to_value(&rolled).unwrap(), serde_json::to_value(&scanned).unwrap());
            assert_eq!(a, b, "period {f}..{u}, teams {teams:?}");
        }
    }
    // No row is left that counts nothing (anna's rows for the case handed to bruno went).
    let empty: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM report_days WHERE opened = 0 AND resolved = 0")
        .fetch_one(s.store.reader())
        .await
        .unwrap();
    assert_eq!(empty, 0);
    let whole = s.store.summary_report(t(now - 30 * 24 * hour), t(now + hour), &[], at).await.unwrap();
    assert_eq!((whole.total.opened, whole.total.resolved), (12, 8), "{:?}", whole.total);

    // Rollups written wrong around casebook are counted afresh by `casebook admin recount-report`.
    let mut tx = s.store.begin_write().await.unwrap();
    sqlx::query("UPDATE report_days SET opened = opened + 5").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let (f, u) = (t(now - 30 * 24 * hour), t(now + hour));
    let wrong = s.store.summary_report(f, u, &[], at).await.unwrap();
    assert_ne!(wrong.total.opened, 12);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["admin", "recount-report", "--database", &s.url])
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("afresh"));
    let right = s.store.summary_report(f, u, &[], at).await.unwrap();
    let scanned = s.store.summary_report_scanned(f, u, &[], at).await.unwrap();
    assert_eq!(serde_json::to_value(&right).unwrap(), serde_json::to_value(&scanned).unwrap());

    // Filling a row of many handle times at once (a day's many resolutions by one agent, as a
    // database from before the rollups has them): counted as they are, whatever their number.
    for i in 0..40i64 {
        let id = case(s, &anna, &customer, &format!("Batch {i}"), Some((&["Batch"][..], "positive"))).await;
        let mut tx = s.store.begin_write().await.unwrap();
        let sql = if s.backend == common::Backend::Postgres {
            "UPDATE cases SET created_at = $1 WHERE id = $2"
        } else {
            "UPDATE cases SET created_at = ?1 WHERE id = ?2"
        };
        sqlx::query(sql).bind(now - (i + 1) * 60_000_000).bind(id).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    s.store.rebuild_report_days().await.unwrap();
    let right = s.store.summary_report(f, u, &[], at).await.unwrap();
    let scanned = s.store.summary_report_scanned(f, u, &[], at).await.unwrap();
    assert_eq!(serde_json::to_value(&right).unwrap(), serde_json::to_value(&scanned).unwrap());
    assert_eq!(right.total.resolved, 48);
    let _ = lena;
}

both_backends!(rollups_agree_with_the_cases);
