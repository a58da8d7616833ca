//! Quality reviews over loopback on SQLite and PostgreSQL: a lead of the case's team scores a
//! resolved case on the scorecard (weighted; an auto-fail item fails it), a second reviewer
//! scores it too; the agent sees both, acknowledges one and disputes the other with a reason;
//! who may do what.

mod common;

use casebook::domain::agent::Role;
use common::TestServer;
use serde_json::{json, Value};

fn scores(card: &Value, value: impl Fn(&Value) -> u64) -> Value {
    Value::Array(
        card["criterion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!({"criterion": c["id"], "value": value(c)}))
            .collect(),
    )
}

async fn reviews_scored_acknowledged_disputed(s: &TestServer) {
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, bruno) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let (_, mia) = s.agent("mia", Role::Lead, &["billing"]).await;
    let (_, root) = s.agent("root", Role::Admin, &[]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let r =
        s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Parcel", "team": "support"})).await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let card = s.get("/api/v1/scorecard", &anna).await.json;
    common::conforms(&reqwest::Method::GET, "/api/v1/scorecard", 200, "application/json", &card);
    let full = scores(&card, |c| c["scale"].as_u64().unwrap());
    let path = format!("/api/v1/cases/{id}/reviews");

    let r = s.post(&path, &lena, json!({"scores": full})).await;
    assert_eq!((r.status, r.code()), (409, "state-conflict"), "not resolved yet: {}", r.json);
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/resolution"),
            &anna,
            json!({"revision": 1, "summary": "Reshipped", "outcome": "positive", "rasa_incomplete_reason": "quick"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(s.post(&path, &anna, json!({"scores": full})).await.status, 403, "agents do not review");
    assert_eq!(s.post(&path, &mia, json!({"scores": full})).await.status, 403, "another team's lead");

    let r = s.post(&path, &lena, json!({"scores": full, "coaching": "Great listening 👂 — keep summarising"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    common::conforms(&reqwest::Method::POST, &path, 201, "application/json", &r.json);
    assert_eq!((r.json["percent"].as_f64(), r.json["failed"].as_bool()), (Some(100.0), Some(false)));
    let first = r.json["id"].as_str().unwrap().to_string();
    // A second reviewer: receive 2 of 4 (7.5 of 110 weight lost), the follow-up (auto-fail) missed.
    let mut half = full.clone();
    half[0]["value"] = json!(2);
    let r = s.post(&path, &root, json!({"scores": half})).await;
    assert!((r.json["percent"].as_f64().unwrap() - 102.5 / 110.0 * 100.0).abs() < 0.01, "{}", r.json);
    let mut failing = full.clone();
    for c in failing.as_array_mut().unwrap() {
        if c["criterion"] == "follow_up" {
            c["value"] = json!(0);
        }
    }
    let r = s.post(&path, &root, json!({"scores": failing})).await;
    assert_eq!((r.json["percent"].as_f64(), r.json["failed"].as_bool()), (Some(0.0), Some(true)), "{}", r.json);
    let second = r.json["id"].as_str().unwrap().to_string();

    // Scores that do not fit the scorecard say what is wrong.
    let mut missing = full.clone();
    missing.as_array_mut().unwrap().pop();
    let r = s.post(&path, &lena, json!({"scores": missing})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("not scored yet"), "{}", r.json);
    let mut too_high = full.clone();
    too_high[0]["value"] = json!(9);
    assert_eq!(s.post(&path, &lena, json!({"scores": too_high})).await.status, 422);

    // The agent sees them, acknowledges one, disputes another.
    let mine = s.get("/api/v1/reviews/mine", &anna).await;
    assert_eq!(mine.json["reviews"].as_array().unwrap().len(), 3);
    common::conforms(&reqwest::Method::GET, "/api/v1/reviews/mine", 200, "application/json", &mine.json);
    assert!(s.get("/api/v1/reviews/mine", &bruno).await.json["reviews"].as_array().unwrap().is_empty());
    let answer = |rid: &str| format!("/api/v1/reviews/{rid}/answer");
    assert_eq!(s.put(&answer(&first), &bruno, json!({"state": "acknowledged"})).await.status, 403, "not his");
    let r = s.put(&answer(&first), &anna, json!({"state": "acknowledged"})).await;
    assert_eq!((r.status, &r.json["answer"]), (200, &json!({"state": "acknowledged"})), "{}", r.json);
    assert_eq!(s.put(&answer(&first), &anna, json!({"state": "acknowledged"})).await.status, 409, "once");
    let r = s.put(&answer(&second), &anna, json!({"state": "disputed", "criterion": "follow_up", "reason": " "})).await;
    assert_eq!(r.status, 422, "a dispute says why: {}", r.json);
    let reason = "The customer asked not to be called back — see the note";
    let r =
        s.put(&answer(&second), &anna, json!({"state": "disputed", "criterion": "follow_up", "reason": reason})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["answer"], json!({"state": "disputed", "criterion": "follow_up", "reason": reason}));
    let all = s.get(&path, &bruno).await;
    assert_eq!(all.json["reviews"].as_array().unwrap().len(), 3, "every agent reads a case's reviews");
    // As the console does it: the one still open, acknowledged.
    let console = casebook::client::ApiClient::new(&s.base, &anna).unwrap();
    let mine = console.my_reviews().await.unwrap();
    let open = mine.iter().find(|r| r.answer == casebook::domain::scorecard::Answer::Open).expect("one still open");
    let done = console.answer_review(open.id, &casebook::domain::scorecard::Answer::Acknowledged).await.unwrap();
    assert_eq!(done.answer, casebook::domain::scorecard::Answer::Acknowledged);
    assert!(console.answer_review(open.id, &casebook::domain::scorecard::Answer::Acknowledged).await.is_err());

    // Counted in the report: anna's quality (100, 93.18 and a failed 0: 64.39 on average), and
    // how the first two reviewers of the case agreed (6 of 7 criteria: receive 4 and 2 differ).
    let r = s.get("/api/v1/reports/summary", &lena).await;
    assert_eq!(r.status, 200, "{}", r.json);
    common::conforms(&reqwest::Method::GET, "/api/v1/reports/summary", 200, "application/json", &r.json);
    assert_eq!(r.json["total"]["reviews"], 3);
    let q = r.json["total"]["quality_average"].as_f64().unwrap();
    assert!((q - (100.0 + 93.18 + 0.0) / 3.0).abs() < 0.01, "{q}");
    let anna_row = r.json["by_agent"].as_array().unwrap().iter().find(|a| a["name"] == "anna").unwrap().clone();
    assert_eq!(anna_row["reviews"], 3);
    assert!(anna_row["quality_previous"].is_null(), "no reviews the week before");
    let c = r.json["calibration"].as_f64().unwrap();
    assert!((c - 6.0 / 7.0).abs() < 1e-9 && r.json["calibrated_cases"] == 1, "{}", r.json);
}

both_backends!(reviews_scored_acknowledged_disputed);
