//! The console's HTTP client for the shared API. Errors are sorted by what the caller should
//! do about them: wait and retry (unreachable, busy, a broken answer), sign in again, rebuild
//! (a change-feed cursor the server no longer holds), or give up on this request. The sync
//! engine that drains the local outbox and pulls the change feed through it is [`sync`].

pub mod sync;

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use uuid::Uuid;

use crate::domain::agent::Agent;
use crate::domain::case::CaseDetail;
use crate::domain::customer::Customer;
use crate::domain::event::Event;
use crate::domain::sla::SlaState;
use crate::wire::card::CustomerCard;
use crate::wire::leads::SummaryReport;
use crate::wire::leads::{BulkChange, BulkRequest, BulkResponse, QueueCasePage, QueuesResponse};
use crate::wire::presence::PresentAgent;
use crate::wire::problem::Problem;
use crate::wire::sync::{PullPage, PushRequest, PushResponse};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the server refused the token ({0}): sign in again with a valid token")]
    Unauthorized(String),
    #[error("{0}")]
    Gone(String),
    #[error("the server could not answer now ({status}): {detail}")]
    Unavailable { status: u16, detail: String },
    #[error("the server refused the request ({status}): {detail}")]
    Refused { status: u16, detail: String },
    #[error("the server's answer could not be read: {0}")]
    Protocol(String),
    #[error("{0}")]
    Config(String),
}

impl ClientError {
    /// Worth trying again later, unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. } | ClientError::Unavailable { .. } | ClientError::Protocol(_))
    }
}

/// The `me` answer, as far as the console needs it.
#[derive(Debug, serde::Deserialize)]
struct Me {
    agent: Option<Agent>,
    /// The server's identity (older servers do not say).
    #[serde(default)]
    server_id: Option<String>,
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl ApiClient {
    /// A client for the server at `server` (`http://host:port`), signed in with `token`.
    pub fn new(server: &str, token: &str) -> Result<ApiClient, ClientError> {
        let base = server.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|e| {
            ClientError::Config(format!("`{server}` is not a server address ({e}): use http://host:port"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!("`{server}` is not an http:// or https:// address")));
        }
        if token.trim().is_empty() {
            return Err(ClientError::Config("no token: give the agent token the admin made for you".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Config(format!("cannot make an HTTP client: {e}")))?;
        Ok(ApiClient { http, base, token: token.trim().to_string() })
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable { url: self.base.clone(), detail: cause(&e) };
        let resp = req.bearer_auth(&self.token).send().await.map_err(unreachable)?;
        let status = resp.status();
        let bytes =
            resp.bytes().await.map_err(|e| ClientError::Protocol(format!("the answer broke off: {}", cause(&e))))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()));
        }
        let detail = match serde_json::from_slice::<Problem>(&bytes) {
            Ok(p) => p.detail,
            Err(_) => String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        };
        Err(match status {
            StatusCode::UNAUTHORIZED => ClientError::Unauthorized(detail),
            StatusCode::GONE => ClientError::Gone(detail),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT => {
                ClientError::Unavailable { status: s.as_u16(), detail }
            }
            s => ClientError::Refused { status: s.as_u16(), detail },
        })
    }

    /// The agent the token belongs to.
    pub async fn me(&self) -> Result<Agent, ClientError> {
        self.whoami().await.map(|(agent, _)| agent)
    }

    /// Who the token belongs to, and the server's identity (the same under every address).
    pub async fn whoami(&self) -> Result<(Agent, Option<String>), ClientError> {
        let me: Me = self.send(self.http.get(format!("{}/api/v1/me", self.base))).await?;
        let agent = me.agent.ok_or_else(|| ClientError::Refused {
            status: 403,
            detail: "this is an ingest token, not an agent's: use an agent token".into(),
        })?;
        Ok((agent, me.server_id))
    }

    /// Customers matching `q` (name, email, phone, external id), best first.
    pub async fn search_customers(&self, q: &str, limit: u32) -> Result<Vec<Customer>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Page {
            customers: Vec<Customer>,
        }
        let query = [("q", q.to_string()), ("limit", limit.to_string())];
        let page: Page = self.send(self.http.get(format!("{}/api/v1/customers", self.base)).query(&query)).await?;
        Ok(page.customers)
    }

    /// One customer.
    pub async fn customer(&self, id: Uuid) -> Result<Customer, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/customers/{id}", self.base))).await
    }

    /// Articles that hold every word of `q` (the last as a prefix) or (`Match::Any`) any of
    /// them, best first; every article by title for no words. Only those in `language` or in none.
    pub async fn articles(
        &self,
        q: &str,
        how: crate::domain::articles::Match,
        language: Option<&str>,
        limit: u32,
    ) -> Result<Vec<crate::domain::articles::ArticleHit>, ClientError> {
        let mut query = vec![("q", q.to_string()), ("match", how.as_str().to_string()), ("limit", limit.to_string())];
        query.extend(language.map(|l| ("language", l.to_string())));
        let list: crate::wire::articles::ArticleList =
            self.send(self.http.get(format!("{}/api/v1/articles", self.base)).query(&query)).await?;
        Ok(list.articles)
    }

    /// One article, whole.
    pub async fn article(&self, slug: &str) -> Result<crate::domain::articles::Article, ClientError> {
        if !crate::domain::articles::is_valid_slug(slug) {
            return Err(ClientError::Refused {
                status: 404,
                detail: format!("`{}` cannot name an article", slug.escape_debug()),
            });
        }
        self.send(self.http.get(format!("{}/api/v1/articles/{slug}", self.base))).await
    }

    /// The articles that fit a case (its subject, the customer's latest events).
    pub async fn suggested_articles(
        &self,
        case: Uuid,
        language: Option<&str>,
    ) -> Result<crate::wire::articles::ArticleSuggestions, ClientError> {
        let query: Vec<(&str, String)> = language.map(|l| ("language", l.to_string())).into_iter().collect();
        self.send(self.http.get(format!("{}/api/v1/cases/{case}/articles", self.base)).query(&query)).await
    }

    /// The business-hours schedules, with the teams and queues that keep each.
    pub async fn schedules(&self) -> Result<crate::wire::schedules::ScheduleList, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/schedules", self.base))).await
    }

    /// The reviews of the agent's cases, newest first.
    pub async fn my_reviews(&self) -> Result<Vec<crate::wire::reviews::Review>, ClientError> {
        let list: crate::wire::reviews::ReviewList =
            self.send(self.http.get(format!("{}/api/v1/reviews/mine", self.base))).await?;
        Ok(list.reviews)
    }

    /// The scorecard reviews are scored on.
    pub async fn scorecard(&self) -> Result<crate::domain::scorecard::Scorecard, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/scorecard", self.base))).await
    }

    /// The reviews of these cases (up to 200), oldest first.
    pub async fn reviews_of_cases(&self, ids: &[Uuid]) -> Result<Vec<crate::wire::reviews::Review>, ClientError> {
        let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let query = [("case_ids", list.join(","))];
        let list: crate::wire::reviews::ReviewList =
            self.send(self.http.get(format!("{}/api/v1/reviews", self.base)).query(&query)).await?;
        Ok(list.reviews)
    }

    /// The team's macros.
    pub async fn macros(&self) -> Result<Vec<crate::domain::macros::Macro>, ClientError> {
        #[derive(serde::Deserialize)]
        struct List {
            macros: Vec<crate::domain::macros::Macro>,
        }
        let list: List = self.send(self.http.get(format!("{}/api/v1/macros", self.base))).await?;
        Ok(list.macros)
    }

    /// Every agent, by name.
    pub async fn agents(&self) -> Result<Vec<Agent>, ClientError> {
        #[derive(serde::Deserialize)]
        struct List {
            agents: Vec<Agent>,
        }
        let list: List = self.send(self.http.get(format!("{}/api/v1/agents", self.base))).await?;
        Ok(list.agents)
    }

    /// Customers by id (up to 100; unknown ones are left out).
    pub async fn customers_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Customer>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Page {
            customers: Vec<Customer>,
        }
        let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let query = [("ids", list.join(","))];
        let page: Page = self.send(self.http.get(format!("{}/api/v1/customers", self.base)).query(&query)).await?;
        Ok(page.customers)
    }

    /// A customer's card: identities, open cases, and what each source says.
    pub async fn card(&self, id: Uuid) -> Result<CustomerCard, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/customers/{id}/card", self.base))).await
    }

    /// A page of a customer's timeline, newest first, and the cursor of the next page.
    pub async fn timeline(
        &self,
        customer: Uuid,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Event>, Option<String>), ClientError> {
        #[derive(serde::Deserialize)]
        struct Page {
            events: Vec<Event>,
            next_cursor: Option<String>,
        }
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let url = format!("{}/api/v1/customers/{customer}/timeline", self.base);
        let page: Page = self.send(self.http.get(url).query(&query)).await?;
        Ok((page.events, page.next_cursor))
    }

    /// A page of a customer's timeline as its list shows it (no text or data), newest first,
    /// and the cursor of the next page.
    pub async fn timeline_rows(
        &self,
        customer: Uuid,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<crate::domain::event::TimelineRow>, Option<String>), ClientError> {
        #[derive(serde::Deserialize)]
        struct Page {
            rows: Vec<crate::domain::event::TimelineRow>,
            next_cursor: Option<String>,
        }
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let url = format!("{}/api/v1/customers/{customer}/timeline/rows", self.base);
        let page: Page = self.send(self.http.get(url).query(&query)).await?;
        Ok((page.rows, page.next_cursor))
    }

    /// One event, whole.
    pub async fn event(&self, id: Uuid) -> Result<Event, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/events/{id}", self.base))).await
    }

    /// Tells the server the agent has the case open; the others who have it open.
    pub async fn presence(&self, case: Uuid) -> Result<Vec<PresentAgent>, ClientError> {
        let url = format!("{}/api/v1/cases/{case}/presence", self.base);
        let r: crate::wire::presence::PresenceResponse = self.send(self.http.put(url)).await?;
        Ok(r.present)
    }

    /// The agent closed the case.
    pub async fn leave(&self, case: Uuid) -> Result<(), ClientError> {
        let url = format!("{}/api/v1/cases/{case}/presence", self.base);
        let resp = self.http.delete(url).bearer_auth(&self.token).send().await;
        resp.map(|_| ()).map_err(|e| ClientError::Unreachable { url: self.base.clone(), detail: cause(&e) })
    }

    /// A case with its notes, RASA checklist and follow-ups, as the server has it.
    pub async fn case_detail(&self, id: Uuid) -> Result<CaseDetail, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/cases/{id}", self.base))).await
    }

    /// Queues with their figures, every agent's load, the SLA policies (leads' overview).
    pub async fn queues(&self) -> Result<QueuesResponse, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/queues", self.base))).await
    }

    /// The first page of a queue's waiting cases, of one SLA state or all.
    pub async fn queue_cases(&self, queue: &str, sla: Option<SlaState>) -> Result<QueueCasePage, ClientError> {
        let mut query = vec![("limit", "200".to_string())];
        if let Some(s) = sla {
            query.push(("sla", s.as_str().to_string()));
        }
        let url = format!("{}/api/v1/queues/{queue}/cases", self.base);
        self.send(self.http.get(url).query(&query)).await
    }

    /// Changes many cases (reassign, reprioritise), each with the revision read.
    pub async fn bulk(&self, changes: Vec<BulkChange>) -> Result<BulkResponse, ClientError> {
        let body = BulkRequest { changes };
        self.send(self.http.post(format!("{}/api/v1/cases/bulk", self.base)).json(&body)).await
    }

    /// The summary report of the last `days` days, for a team or the caller's teams.
    pub async fn report(&self, days: i64, team: Option<&str>) -> Result<SummaryReport, ClientError> {
        let from = (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339();
        let mut query = vec![("from", from)];
        if let Some(t) = team {
            query.push(("team", t.to_string()));
        }
        self.send(self.http.get(format!("{}/api/v1/reports/summary", self.base)).query(&query)).await
    }

    /// The cases behind a figure of the report, newest first (up to 500).
    pub async fn report_cases(
        &self,
        q: &crate::wire::leads::ReportCasesQuery,
    ) -> Result<Vec<crate::domain::case::Case>, ClientError> {
        let r: crate::wire::leads::ReportCases =
            self.send(self.http.get(format!("{}/api/v1/reports/cases", self.base)).query(q)).await?;
        Ok(r.cases)
    }

    /// The latest resolved and closed cases of a team, newest first.
    pub async fn closed_cases(&self, team: &str, limit: u32) -> Result<Vec<crate::domain::case::Case>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Page {
            cases: Vec<crate::domain::case::Case>,
        }
        let query =
            [("status", "resolved,closed".to_string()), ("team", team.to_string()), ("limit", limit.to_string())];
        let page: Page = self.send(self.http.get(format!("{}/api/v1/cases", self.base)).query(&query)).await?;
        Ok(page.cases)
    }

    pub async fn push(&self, req: &PushRequest) -> Result<PushResponse, ClientError> {
        self.send(self.http.post(format!("{}/api/v1/sync/push", self.base)).json(req)).await
    }

    pub async fn pull(&self, cursor: Option<&str>, limit: u32) -> Result<PullPage, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        self.send(self.http.get(format!("{}/api/v1/sync/pull", self.base)).query(&query)).await
    }
}

/// The innermost cause of a transport error: "connection refused" rather than "error sending
/// request".
fn cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    if e.is_timeout() {
        msg = format!("timed out ({msg})");
    }
    msg
}
