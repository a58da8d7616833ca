//! The permission matrix: every route × no token, an unknown token, an ingest token, the
//! case's agent, another agent, a lead of the case's team, a lead of another team, an admin.

mod common;

use casebook::domain::agent::Role;
use common::{ce, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Unknown,
    Ingest,
    Assignee,
    OtherAgent,
    Lead,
    ForeignLead,
    Admin,
}

const ALL: [Who; 8] =
    [Who::Nobody, Who::Unknown, Who::Ingest, Who::Assignee, Who::OtherAgent, Who::Lead, Who::ForeignLead, Who::Admin];

both_backends!(permission_matrix, revoked_tokens_are_refused_at_once);

struct Ctx<'a> {
    s: &'a TestServer,
    tokens: Vec<(Who, Option<String>)>,
    admin: String,
    assignee: String,
    assignee_id: Uuid,
    other_id: Uuid,
    customer: String,
}

impl Ctx<'_> {
    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.iter().find(|(w, _)| *w == who).and_then(|(_, t)| t.as_deref())
    }

    async fn call(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> u16 {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).unwrap()));
        self.s.send(method, path, self.token(who), body).await.status
    }

    async fn case_for_assignee(&self) -> (String, i64) {
        let r = self
            .s
            .post(
                "/api/v1/cases",
                &self.assignee,
                json!({"customer_id": self.customer, "subject": "Matrix", "status": "open"}),
            )
            .await;
        assert_eq!(r.status, 201);
        (r.json["id"].as_str().unwrap().to_string(), r.json["revision"].as_i64().unwrap())
    }

    async fn revision(&self, case: &str) -> (i64, Value) {
        let c = self.s.get(&format!("/api/v1/cases/{case}"), &self.admin).await.json;
        (c["revision"].as_i64().unwrap(), c)
    }
}

/// The status each caller gets, in the order of `ALL`.
fn expect(route: &str, who: Who, got: u16, want: [u16; 8]) {
    let i = ALL.iter().position(|w| *w == who).unwrap();
    assert_eq!(got, want[i], "{route} as {who:?}: got {got}, want {}", want[i]);
}

async fn permission_matrix(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (assignee_agent, assignee) = s.agent("anna", Role::Agent, &["support"]).await;
    let (other_agent, other) = s.agent("bruno", Role::Agent, &["support"]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let (_, foreign_lead) = s.agent("fritz", Role::Lead, &["billing"]).await;
    let ingest = s.ingest_token("shop").await;
    let customer = s.customer(&ingest, "C-1").await;
    let ctx = Ctx {
        s,
        tokens: vec![
            (Who::Nobody, None),
            (Who::Unknown, Some("cba_not-a-real-token".into())),
            (Who::Ingest, Some(ingest.clone())),
            (Who::Assignee, Some(assignee.clone())),
            (Who::OtherAgent, Some(other)),
            (Who::Lead, Some(lead)),
            (Who::ForeignLead, Some(foreign_lead)),
            (Who::Admin, Some(admin.clone())),
        ],
        admin,
        assignee,
        assignee_id: assignee_agent.id,
        other_id: other_agent.id,
        customer: customer.clone(),
    };
    let (case, _) = ctx.case_for_assignee().await;
    let followup = s
        .post("/api/v1/followups", &ctx.assignee, json!({"case_id": case, "due_at": "2030-01-01T09:00:00Z"}))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();

    //                                      Nobody Unknown Ingest Assignee Other Lead Foreign Admin
    const OPEN: [u16; 8] = [200, 200, 200, 200, 200, 200, 200, 200];
    const ANY_TOKEN: [u16; 8] = [401, 401, 200, 200, 200, 200, 200, 200];
    const AGENTS: [u16; 8] = [401, 401, 403, 200, 200, 200, 200, 200];
    const AGENTS_CREATE: [u16; 8] = [401, 401, 403, 201, 201, 201, 201, 201];
    const ADMIN_CREATE: [u16; 8] = [401, 401, 403, 403, 403, 403, 403, 201];
    const POST_EVENTS: [u16; 8] = [401, 401, 201, 403, 403, 403, 403, 201];
    const WORK_CASE: [u16; 8] = [401, 401, 403, 200, 403, 200, 403, 200];
    const LEAD_CASE: [u16; 8] = [401, 401, 403, 403, 403, 200, 403, 200];
    const FOLLOWUP_CHANGE: [u16; 8] = [401, 401, 403, 200, 403, 200, 200, 200];

    for who in ALL {
        let c = &ctx;
        expect("GET /healthz", who, c.call(who, Method::GET, "/healthz", None).await, OPEN);
        expect("GET openapi", who, c.call(who, Method::GET, "/api/v1/openapi.json", None).await, OPEN);
        expect("GET /me", who, c.call(who, Method::GET, "/api/v1/me", None).await, ANY_TOKEN);
        expect("GET /agents", who, c.call(who, Method::GET, "/api/v1/agents", None).await, AGENTS);
        let name = format!("new{}", Uuid::now_v7().simple());
        expect(
            "POST /agents",
            who,
            c.call(who, Method::POST, "/api/v1/agents", Some(json!({"name": &name[..20], "role": "agent"}))).await,
            ADMIN_CREATE,
        );
        expect(
            "POST /ingest-tokens",
            who,
            c.call(who, Method::POST, "/api/v1/ingest-tokens", Some(json!({"source": "shop"}))).await,
            ADMIN_CREATE,
        );
        expect("GET /customers", who, c.call(who, Method::GET, "/api/v1/customers?q=shop", None).await, AGENTS);
        expect(
            "GET /customers/{id}",
            who,
            c.call(who, Method::GET, &format!("/api/v1/customers/{customer}"), None).await,
            AGENTS,
        );
        expect(
            "GET timeline",
            who,
            c.call(who, Method::GET, &format!("/api/v1/customers/{customer}/timeline"), None).await,
            AGENTS,
        );
        let event =
            ce(&format!("e-{}", Uuid::now_v7()), "shop", "order_placed", "C-1", "2024-02-01T00:00:00Z", json!({}));
        let status = s
            .send(
                Method::POST,
                "/api/v1/events",
                c.token(who),
                Some(("application/cloudevents+json", serde_json::to_vec(&event).unwrap())),
            )
            .await
            .status;
        expect("POST /events", who, status, POST_EVENTS);
        expect("GET /cases", who, c.call(who, Method::GET, "/api/v1/cases", None).await, AGENTS);
        expect(
            "POST /cases",
            who,
            c.call(who, Method::POST, "/api/v1/cases", Some(json!({"customer_id": customer, "subject": "Hello"})))
                .await,
            AGENTS_CREATE,
        );
        expect("GET /cases/{id}", who, c.call(who, Method::GET, &format!("/api/v1/cases/{case}"), None).await, AGENTS);

        let (rev, current) = c.revision(&case).await;
        let status = if current["status"] == "open" { "pending" } else { "open" };
        expect(
            "PATCH /cases/{id} status",
            who,
            c.call(
                who,
                Method::PATCH,
                &format!("/api/v1/cases/{case}"),
                Some(json!({"revision": rev, "status": status})),
            )
            .await,
            WORK_CASE,
        );
        let (rev, current) = c.revision(&case).await;
        let priority = if current["priority"] == "high" { "normal" } else { "high" };
        expect(
            "PATCH /cases/{id} priority",
            who,
            c.call(
                who,
                Method::PATCH,
                &format!("/api/v1/cases/{case}"),
                Some(json!({"revision": rev, "priority": priority})),
            )
            .await,
            LEAD_CASE,
        );
        // Handing the case over to a teammate (both agents are in its team): its assignee, a
        // lead of the team or an admin. The case goes back to its assignee around each try.
        let (rev, current) = c.revision(&case).await;
        if current["assignee_id"] != json!(c.assignee_id) {
            let back = json!({"revision": rev, "assignee_id": c.assignee_id});
            assert_eq!(c.s.patch(&format!("/api/v1/cases/{case}"), &c.admin, back).await.status, 200);
        }
        let (rev, _) = c.revision(&case).await;
        expect(
            "PATCH /cases/{id} hand over",
            who,
            c.call(
                who,
                Method::PATCH,
                &format!("/api/v1/cases/{case}"),
                Some(json!({"revision": rev, "assignee_id": c.other_id})),
            )
            .await,
            WORK_CASE,
        );
        let (rev, current) = c.revision(&case).await;
        if current["assignee_id"] != json!(c.assignee_id) {
            let back = json!({"revision": rev, "assignee_id": c.assignee_id});
            assert_eq!(c.s.patch(&format!("/api/v1/cases/{case}"), &c.admin, back).await.status, 200);
        }
        expect(
            "POST notes",
            who,
            c.call(who, Method::POST, &format!("/api/v1/cases/{case}/notes"), Some(json!({"body": "hello"}))).await,
            AGENTS_CREATE,
        );
        expect(
            "PUT rasa",
            who,
            c.call(
                who,
                Method::PUT,
                &format!("/api/v1/cases/{case}/rasa/receive"),
                Some(json!({"notes": "x", "done": true})),
            )
            .await,
            WORK_CASE,
        );
        let (fresh, rev) = c.case_for_assignee().await;
        expect(
            "PUT resolution",
            who,
            c.call(
                who,
                Method::PUT,
                &format!("/api/v1/cases/{fresh}/resolution"),
                Some(json!({"revision": rev, "summary": "Done", "outcome": "positive", "rasa_incomplete_reason": "test"})),
            )
            .await,
            WORK_CASE,
        );
        expect("GET /followups", who, c.call(who, Method::GET, "/api/v1/followups", None).await, AGENTS);
        expect("GET /sync/pull", who, c.call(who, Method::GET, "/api/v1/sync/pull?limit=5", None).await, AGENTS);
        let push = json!({"device_id": Uuid::now_v7(), "operations": []});
        expect("POST /sync/push", who, c.call(who, Method::POST, "/api/v1/sync/push", Some(push)).await, AGENTS);
        expect(
            "POST /followups",
            who,
            c.call(
                who,
                Method::POST,
                "/api/v1/followups",
                Some(json!({"customer_id": customer, "due_at": "2030-01-01T10:00:00Z"})),
            )
            .await,
            AGENTS_CREATE,
        );
        expect(
            "GET /followups/{id}",
            who,
            c.call(who, Method::GET, &format!("/api/v1/followups/{followup}"), None).await,
            AGENTS,
        );
        let rev = s.get(&format!("/api/v1/followups/{followup}"), &c.admin).await.json["revision"].as_i64().unwrap();
        expect(
            "PATCH /followups/{id}",
            who,
            c.call(
                who,
                Method::PATCH,
                &format!("/api/v1/followups/{followup}"),
                Some(json!({"revision": rev, "note": format!("{who:?}")})),
            )
            .await,
            FOLLOWUP_CHANGE,
        );
    }
}

/// An admin revokes a token (one, or all of an agent's) through the API: the node that
/// revoked it refuses it at once, though it had just been verified (and cached); agents and
/// leads may not revoke; bad requests say what to send.
async fn revoked_tokens_are_refused_at_once(s: &TestServer) {
    let (_, admin) = s.agent("root", Role::Admin, &[]).await;
    let (_, lead) = s.agent("lena", Role::Lead, &["support"]).await;
    let (anna, anna_token) = s.agent("anna", Role::Agent, &["support"]).await;
    let shop = s.ingest_token("shop").await;
    assert_eq!(s.get("/api/v1/me", &anna_token).await.status, 200, "verified and cached");
    assert_eq!(s.post("/api/v1/tokens/revoke", &lead, json!({"token": anna_token})).await.status, 403);
    assert_eq!(s.post("/api/v1/tokens/revoke", &anna_token, json!({"agent_id": anna.id})).await.status, 403);
    let r = s.post("/api/v1/tokens/revoke", &admin, json!({})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    let r = s.post("/api/v1/tokens/revoke", &admin, json!({"token": shop})).await;
    assert_eq!((r.status, r.json["revoked"].as_u64()), (200, Some(1)), "{}", r.json);
    let r = s
        .events(&shop, "application/cloudevents+json", ce("e", "shop", "x", "C-1", "2026-01-01T00:00:00Z", json!({})))
        .await;
    assert_eq!(r.status, 401, "the ingest token is refused at once");
    let r = s.post("/api/v1/tokens/revoke", &admin, json!({"agent_id": anna.id})).await;
    assert_eq!((r.status, r.json["revoked"].as_u64()), (200, Some(1)), "{}", r.json);
    assert_eq!(s.get("/api/v1/me", &anna_token).await.status, 401, "anna's token is refused at once");
    let r = s.post("/api/v1/tokens/revoke", &admin, json!({"agent_id": anna.id})).await;
    assert_eq!(r.json["revoked"].as_u64(), Some(0), "nothing live is left");
    assert_eq!(s.get("/api/v1/me", &admin).await.status, 200);
}
