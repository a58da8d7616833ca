//! Business hours over loopback, on SQLite and PostgreSQL: a schedule set by an admin and kept
//! by a team (or a queue, over its team), and the due times of cases opened under it, against
//! due times worked by hand — closed days, a holiday, a pause while the case waits on the
//! customer. The schedule is built around today (the server's clock is real): one hour a week,
//! three days ahead. Daylight-saving changes are the domain's tests (`domain::schedule`).

mod common;

use casebook::domain::agent::Role;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use common::TestServer;
use serde_json::{json, Value};

fn day_name(d: NaiveDate) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][d.weekday().num_days_from_monday() as usize]
}

fn ten(d: NaiveDate) -> String {
    format!("{d}T10:00:00Z")
}

fn due(v: &Value, field: &str) -> Option<String> {
    v[field]
        .as_str()
        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

async fn due_times_in_business_hours(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    // One hour a week: 09:00–10:00 UTC on the weekday three days ahead.
    let today = Utc::now().date_naive();
    let d = today + Duration::days(3);
    let weekly = |holidays: Vec<String>| {
        let mut spec = json!({"name": "weekly", "timezone": "UTC", "holidays": holidays, "week": {}});
        spec["week"][day_name(d)] = json!(["09:00-10:00"]);
        spec
    };
    let r = s.post("/api/v1/schedules", &anna, weekly(vec![])).await;
    assert_eq!(r.status, 403, "admins set schedules: {}", r.json);
    let r = s.post("/api/v1/schedules", &admin, weekly(vec![])).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::POST, "/api/v1/schedules", 200, "application/json", &r.json);
    let r = s.put("/api/v1/teams/support/schedule", &admin, json!({"schedule": "weekly"})).await;
    assert_eq!(r.status, 200, "{}", r.json);

    let open = |subject: &'static str, queue: &'static str| {
        let (customer, anna) = (customer.clone(), anna.clone());
        async move {
            let r = s
                .post(
                    "/api/v1/cases",
                    &anna,
                    json!({"customer_id": customer, "subject": subject, "priority": "high", "team": "support", "queue": queue}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.json);
            r.json
        }
    };
    // High: 1 h to answer, 8 h to resolve — one working hour a week: the answer is due at the
    // end of the first, the resolution at the end of the eighth, seven weeks later.
    let case = open("Invoice needs the VAT number", "general").await;
    assert_eq!(due(&case, "first_response_due"), Some(ten(d)), "{case}");
    assert_eq!(due(&case, "resolution_due"), Some(ten(d + Duration::days(49))), "{case}");

    // Waiting on the customer: the resolution clock stands still (no due time), and resumes
    // with what it had left — here all of it, as no working hour passed.
    let id = case["id"].as_str().unwrap();
    let path = format!("/api/v1/cases/{id}");
    let r = s.patch(&path, &anna, json!({"revision": 1, "status": "open"})).await;
    let r = s.patch(&path, &anna, json!({"revision": r.json["revision"], "status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(due(&r.json, "resolution_due"), None, "paused: {}", r.json);
    assert_eq!(due(&r.json, "first_response_due"), Some(ten(d)), "the first answer does not wait");
    // A queue sorted by due time lists it last (it has none while it waits).
    let other = open("Due soonest", "general").await;
    let q = s.get("/api/v1/queues/general/cases?sort=due", &anna).await;
    assert_eq!(q.status, 200, "{}", q.json);
    let listed: Vec<&str> = q.json["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed.last().copied(), Some(id), "{listed:?} (other: {})", other["id"]);
    let r = s.patch(&path, &anna, json!({"revision": r.json["revision"], "status": "open"})).await;
    assert_eq!(due(&r.json, "resolution_due"), Some(ten(d + Duration::days(49))), "{}", r.json);
    // The pause is on the customer's timeline.
    let t = s.get(&format!("/api/v1/customers/{customer}/timeline/rows?kind=case_status_changed"), &anna).await;
    let titles: Vec<&str> = t.json["rows"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Case pending → open: the resolution clock runs again",
            "Case open → pending: the resolution clock stands still",
            "Case new → open"
        ]
    );

    // That day a holiday: a week later.
    assert_eq!(s.post("/api/v1/schedules", &admin, weekly(vec![d.to_string()])).await.status, 200);
    let case = open("Charged twice", "general").await;
    assert_eq!(due(&case, "first_response_due"), Some(ten(d + Duration::days(7))), "{case}");
    // The first case was answered: its first answer's due time is history, the hours' change
    // does not move it; its resolution keeps the time used (none) and skips the holiday.
    let first = s.get(&format!("/api/v1/cases/{id}"), &anna).await.json;
    assert_eq!(due(&first, "first_response_due"), Some(ten(d)), "{first}");
    assert_eq!(due(&first, "resolution_due"), Some(ten(d + Duration::days(56))), "{first}");
    assert_eq!(due(&case, "resolution_due"), Some(ten(d + Duration::days(56))), "{case}");

    // A queue's schedule wins over its team's: round the clock for the vip queue.
    let always = json!({"name": "always", "timezone": "Europe/Rome", "week": {
        "mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"], "thu": ["00:00-24:00"],
        "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]}});
    assert_eq!(s.post("/api/v1/schedules", &admin, always).await.status, 200);
    assert_eq!(s.put("/api/v1/queues/vip/schedule", &admin, json!({"schedule": "always"})).await.status, 200);
    let case = open("Priority customer", "vip").await;
    let created: DateTime<Utc> = case["created_at"].as_str().unwrap().parse().unwrap();
    let at = |h: i64| (created + Duration::hours(h)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!((due(&case, "first_response_due"), due(&case, "resolution_due")), (Some(at(1)), Some(at(8))));

    // Listed with who keeps each.
    let r = s.get("/api/v1/schedules", &anna).await;
    assert_eq!(r.status, 200);
    common::conforms(&reqwest::Method::GET, "/api/v1/schedules", 200, "application/json", &r.json);
    let names: Vec<(&str, &Value, &Value)> = r.json["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["schedule"]["name"].as_str().unwrap(), &k["teams"], &k["queues"]))
        .collect();
    assert_eq!(names, [("always", &json!([]), &json!(["vip"])), ("weekly", &json!(["support"]), &json!([]))]);

    // A change of hours keeps the time already used: a case opened on the calendar has used a
    // moment of its hour when its team gets the weekly hour, so it is due a moment before 10:00.
    assert_eq!(s.put("/api/v1/teams/support/schedule", &admin, json!({"schedule": null})).await.status, 200);
    let case = open("Used a moment", "general").await;
    let id = case["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(s.put("/api/v1/teams/support/schedule", &admin, json!({"schedule": "weekly"})).await.status, 200);
    let now = s.get(&format!("/api/v1/cases/{id}"), &anna).await.json;
    let first: DateTime<Utc> = now["first_response_due"].as_str().unwrap().parse().unwrap();
    let next_ten: DateTime<Utc> = ten(d + Duration::days(7)).parse().unwrap();
    assert!(
        first < next_ten && first > next_ten - Duration::seconds(30),
        "the weekly hour of {} (the holiday first), less the second used: {first}",
        d + Duration::days(7)
    );
    assert!(now["revision"].as_i64().unwrap() > case["revision"].as_i64().unwrap(), "in the change feed: {now}");

    // Without a schedule: the calendar again.
    assert_eq!(s.put("/api/v1/teams/support/schedule", &admin, json!({"schedule": null})).await.status, 200);
    let case = open("Calendar again", "general").await;
    let created: DateTime<Utc> = case["created_at"].as_str().unwrap().parse().unwrap();
    let at = |h: i64| (created + Duration::hours(h)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!((due(&case, "first_response_due"), due(&case, "resolution_due")), (Some(at(1)), Some(at(8))));

    // What is wrong is said.
    let r = s.post("/api/v1/schedules", &admin, json!({"name": "x", "timezone": "Mars/Olympus"})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("IANA"), "{}", r.json);
    let r = s
        .post("/api/v1/schedules", &admin, json!({"name": "x", "timezone": "UTC", "week": {"mon": ["18:00-09:00"]}}))
        .await;
    assert!(r.json["detail"].as_str().unwrap().contains("night shift"), "{}", r.json);
    let r = s.put("/api/v1/teams/support/schedule", &admin, json!({"schedule": "nope"})).await;
    assert_eq!((r.status, r.code()), (404, "not-found"), "{}", r.json);
    let r = s.put("/api/v1/teams/support/schedule", &anna, json!({"schedule": null})).await;
    assert_eq!(r.status, 403);
}

both_backends!(due_times_in_business_hours);

/// `casebook schedules load FILE --team T` checks the file, stores it, gives it to the team;
/// `list` shows who keeps it; a bad file says what to fix.
#[test]
fn schedules_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let bin = env!("CARGO_BIN_EXE_casebook");
    let file = dir.path().join("office.toml");
    std::fs::write(
        &file,
        "name = \"office\"\ntimezone = \"Europe/Rome\"\nholidays = [\"2026-12-25\"]\n[week]\nmon = [\"09:00-12:30\", \"13:30-18:00\"]\nfri = [\"09:00-17:00\"]\n",
    )
    .unwrap();
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).env("HOME", dir.path()).output().unwrap();
    let out =
        run(&["schedules", "load", file.to_str().unwrap(), "--team", "support", "--queue", "vip", "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Loaded schedule `office` for team support for queue vip"));
    let out = run(&["schedules", "list", "--database", &db]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("office")
            && listed.contains("Europe/Rome")
            && listed.contains("teams: support")
            && listed.contains("queues: vip"),
        "{listed}"
    );
    std::fs::write(&file, "name = \"office\"\ntimezone = \"Europe/Atlantis\"\n").unwrap();
    let out = run(&["schedules", "load", file.to_str().unwrap(), "--database", &db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("IANA time zone"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["schedules", "unassign", "--team", "support", "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["schedules", "list", "--database", &db]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("teams: -"));
}
