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
    // Several cases' reviews at once (the closed-cases list's quality column).
    let other = uuid::Uuid::now_v7();
    let many = s.get(&format!("/api/v1/reviews?case_ids={id},{other}"), &bruno).await;
    assert_eq!(many.json["reviews"].as_array().unwrap().len(), 3, "{}", many.json);
    common::conforms(&reqwest::Method::GET, "/api/v1/reviews", 200, "application/json", &many.json);
    let bad = s.get("/api/v1/reviews?case_ids=nope", &bruno).await;
    assert_eq!(bad.status, 400, "{}", bad.json);
    assert!(bad.json["detail"].as_str().unwrap().contains("case_ids"), "{}", bad.json);
    // The console's client reads the same list (its answers go through the outbox: below).
    let console = casebook::client::ApiClient::new(&s.base, &anna).unwrap();
    let mine = console.my_reviews().await.unwrap();
    assert_eq!(mine.iter().filter(|r| r.answer == casebook::domain::scorecard::Answer::Open).count(), 1);
    let open = mine.iter().find(|r| r.answer == casebook::domain::scorecard::Answer::Open).unwrap();
    let r = s.put(&answer(&open.id.to_string()), &anna, json!({"state": "acknowledged"})).await;
    assert_eq!(r.status, 200, "{}", r.json);

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

/// Reviews go through the outbox like all case work: a lead scores offline, the agent answers
/// offline; each reaches the server once (a replay is a duplicate), and what the server refuses
/// stays in the outbox for the console to show.
async fn reviews_sync_through_the_outbox(s: &TestServer) {
    use casebook::client::sync::sync_round;
    use casebook::client::ApiClient;
    use casebook::domain::scorecard::{default_scorecard, Answer, Score};
    use casebook::local::LocalStore;
    use casebook::wire::reviews::NewReviewRequest;

    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let r =
        s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Parcel", "team": "support"})).await;
    let case: uuid::Uuid = r.json["id"].as_str().unwrap().parse().unwrap();
    let r = s
        .put(
            &format!("/api/v1/cases/{case}/resolution"),
            &anna,
            json!({"revision": 1, "summary": "Reshipped", "outcome": "negative", "rasa_incomplete_reason": "quick"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);

    let dir = tempfile::tempdir().unwrap();
    let offline_url = common::dead_server().await;
    let lead_store = LocalStore::open(&dir.path().join("lena.db")).await.unwrap();
    let lead_online = ApiClient::new(&s.base, &lena).unwrap();
    let lead_offline = ApiClient::new(&offline_url, &lena).unwrap();
    sync_round(&lead_store, &lead_online).await.unwrap();

    // Offline, the lead scores the case: checked here first (every criterion, once).
    let card = default_scorecard();
    let score = |c: &casebook::domain::scorecard::Criterion| Score {
        criterion: c.id.clone(),
        value: if c.id == "ask" { 1 } else { c.scale },
        comment: None,
    };
    let mut scores: Vec<Score> = card.criteria.iter().map(score).collect();
    let last = scores.pop().unwrap();
    let refused = lead_store.add_review(case, NewReviewRequest { scores: scores.clone(), coaching: None }, &card).await;
    assert!(refused.unwrap_err().to_string().contains("not scored yet"));
    scores.push(last);
    let coaching = "Ask one more question before the refund 🙂 — שאלה";
    let review = lead_store
        .add_review(case, NewReviewRequest { scores: scores.clone(), coaching: Some(coaching.into()) }, &card)
        .await
        .unwrap();
    assert_eq!(lead_store.counts().await.unwrap().pending, 1);
    assert!(sync_round(&lead_store, &lead_offline).await.is_err(), "the server is down");
    assert_eq!(lead_store.counts().await.unwrap().pending, 1, "nothing lost");
    let r = sync_round(&lead_store, &lead_online).await.unwrap();
    assert_eq!(r.pushed.applied, 1, "{r:?}");
    assert_eq!(lead_store.counts().await.unwrap().pending, 0, "sent");
    let on_server = s.get(&format!("/api/v1/cases/{case}/reviews"), &lena).await.json;
    let list = on_server["reviews"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], json!(review), "the id made offline");
    assert_eq!(list[0]["coaching"], json!(coaching));
    // Ask 1 of 4: 11.25 of 15 lost; 98.75 of 110.
    assert!((list[0]["percent"].as_f64().unwrap() - 98.75 / 110.0 * 100.0).abs() < 0.01, "{}", list[0]);

    // The same operation pushed again (a lost answer, a retry): a duplicate, one review.
    let device = uuid::Uuid::now_v7();
    let payload = json!({"case_id": case, "review_id": uuid::Uuid::now_v7(), "fields": {"scores": scores}});
    let again = common::op(1, "review.add", payload);
    assert_eq!(common::statuses(&s.push(&lena, device, std::slice::from_ref(&again)).await), ["applied"]);
    assert_eq!(common::statuses(&s.push(&lena, device, std::slice::from_ref(&again)).await), ["duplicate"]);
    let n = s.get(&format!("/api/v1/cases/{case}/reviews"), &lena).await.json["reviews"].as_array().unwrap().len();
    assert_eq!(n, 2, "the replay made no third review");
    // An agent's review is refused (403) and says why.
    let by_agent = common::op(
        1,
        "review.add",
        json!({"case_id": case, "review_id": uuid::Uuid::now_v7(), "fields": {"scores": scores}}),
    );
    let r = s.push(&anna, uuid::Uuid::now_v7(), &[by_agent]).await;
    assert_eq!(common::statuses(&r), ["rejected"]);
    assert_eq!(r[0]["problem"]["status"], 403, "{}", r[0]);

    // The agent answers offline; the list shows it answered, to send.
    let agent_store = LocalStore::open(&dir.path().join("anna.db")).await.unwrap();
    let agent_online = ApiClient::new(&s.base, &anna).unwrap();
    sync_round(&agent_store, &agent_online).await.unwrap();
    agent_store.answer_review(review, Answer::Acknowledged, &scores).await.unwrap();
    let twice = agent_store.answer_review(review, Answer::Acknowledged, &scores).await.unwrap_err();
    assert!(twice.to_string().contains("answered already"), "{twice}");
    let vague = Answer::Disputed { criterion: "ask".into(), reason: " ".into() };
    assert!(agent_store.answer_review(review, vague, &scores).await.unwrap_err().to_string().contains("say why"));
    assert_eq!(agent_store.pending_review_answers().await.unwrap(), vec![(review, Answer::Acknowledged)]);
    let r = sync_round(&agent_store, &agent_online).await.unwrap();
    assert_eq!(r.pushed.applied, 1, "{r:?}");
    let mine = agent_online.my_reviews().await.unwrap();
    let answered = mine.iter().find(|x| x.id == review).unwrap();
    assert_eq!(answered.answer, Answer::Acknowledged);
    assert!(answered.answered_at.is_some());
    // Answered again from another console of hers: the server refuses it, and the refusal
    // stays in the outbox to be shown (never dropped silently).
    let other = LocalStore::open(&dir.path().join("anna-laptop.db")).await.unwrap();
    sync_round(&other, &agent_online).await.unwrap();
    let dispute = Answer::Disputed { criterion: "ask".into(), reason: "I asked three questions".into() };
    other.answer_review(review, dispute, &scores).await.unwrap();
    let r = sync_round(&other, &agent_online).await.unwrap();
    assert_eq!((r.pushed.rejected, r.counts.rejected), (1, 1), "{r:?}");
    let unsettled = other.outbox().await.unwrap();
    assert!(format!("{:?}", unsettled[0].answer).contains("answered already"), "{:?}", unsettled[0]);
    for store in [lead_store, agent_store, other] {
        store.close().await;
    }
}

both_backends!(reviews_sync_through_the_outbox);

/// A team's own scorecard (`casebook serve --scorecard FILE`): a node started with it scores
/// on its criteria, weights and auto-fail item — through the API and through pushed operations —
/// and a dispute names one of the review's own criteria. A scorecard file that does not check
/// stops the server with what to fix.
async fn a_team_scores_on_its_own_scorecard(s: &TestServer) {
    use casebook::domain::scorecard::parse_file;
    let (_, anna) = s.agent("anna", Role::Agent, &["support"]).await;
    let (_, lena) = s.agent("lena", Role::Lead, &["support"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let r =
        s.post("/api/v1/cases", &anna, json!({"customer_id": customer, "subject": "Invoice", "team": "support"})).await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = s
        .put(
            &format!("/api/v1/cases/{id}/resolution"),
            &anna,
            json!({"revision": 1, "summary": "Corrected", "outcome": "positive", "rasa_incomplete_reason": "quick"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let file = "name = \"billing-qa\"\ntitle = \"Billing accuracy\"\n\
        [[criterion]]\nid = \"accuracy\"\ntitle = \"The invoice was put right\"\nweight = 3\nscale = 5\nevidence = \"resolution\"\n\
        [[criterion]]\nid = \"empathy\"\ntitle = \"Acknowledged the trouble\"\nweight = 1\nauto_fail = true\nevidence = \"appreciate\"\n";
    let card = parse_file(file).unwrap();
    let node = casebook::server::spawn(s.store.clone().with_scorecard(card), "127.0.0.1:0").await.unwrap();
    let http = reqwest::Client::new();
    let base = node.url();
    let get = |path: String, token: String| {
        let (http, base) = (http.clone(), base.clone());
        async move { http.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap() }
    };
    let card: Value = get("/api/v1/scorecard".into(), anna.clone()).await.json().await.unwrap();
    assert_eq!(card["name"], "billing-qa");
    let post = |path: String, body: Value| {
        let (http, base, lena) = (http.clone(), base.clone(), lena.clone());
        async move {
            let r = http.post(format!("{base}{path}")).bearer_auth(lena).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let path = format!("/api/v1/cases/{id}/reviews");
    // The built-in card's criteria are not this node's.
    let rasa = scores(&serde_json::to_value(casebook::domain::scorecard::default_scorecard()).unwrap(), |_| 1);
    let (status, body) = post(path.clone(), json!({"scores": rasa})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("billing-qa"), "{body}");
    // Accuracy 4 of 5 (weight 3), empathy met (weight 1): (2.4 + 1) / 4 = 85 %.
    let (status, body) = post(
        path.clone(),
        json!({"scores": [{"criterion": "accuracy", "value": 4}, {"criterion": "empathy", "value": 1}]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["percent"].as_f64(), &body["scorecard"]), (Some(85.0), &json!("billing-qa")));
    // Pushed offline, the same rules: empathy missed fails it.
    let op = common::op(
        1,
        "review.add",
        json!({"case_id": id, "review_id": uuid::Uuid::now_v7(),
               "fields": {"scores": [{"criterion": "accuracy", "value": 5}, {"criterion": "empathy", "value": 0}]}}),
    );
    let (status, body) =
        post("/api/v1/sync/push".into(), json!({"device_id": uuid::Uuid::now_v7(), "operations": [op]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    assert_eq!(body["results"][0]["result"]["failed"], true, "{body}");
    // The agent disputes one of the review's own criteria; another card's is refused.
    let mine: Value = get("/api/v1/reviews/mine".into(), anna.clone()).await.json().await.unwrap();
    let rid = mine["reviews"][0]["id"].as_str().unwrap().to_string();
    let answer = |body: Value| {
        let (http, base, anna, rid) = (http.clone(), base.clone(), anna.clone(), rid.clone());
        async move {
            let r = http
                .put(format!("{base}/api/v1/reviews/{rid}/answer"))
                .bearer_auth(anna)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(answer(json!({"state": "disputed", "criterion": "receive", "reason": "x"})).await, 422);
    assert_eq!(answer(json!({"state": "disputed", "criterion": "empathy", "reason": "I did say sorry"})).await, 200);
    node.stop().await;

    // A scorecard that does not check stops `casebook serve` with what to fix.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, file.replace("weight = 3", "weight = 0")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &format!("sqlite://{}", dir.path().join("x.db").display()),
        ])
        .arg("--scorecard")
        .arg(&bad)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("bad.toml") && said.contains("weight"), "{said}");
}

both_backends!(a_team_scores_on_its_own_scorecard);
