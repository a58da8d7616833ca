//! The knowledge base: every agent searches and reads the articles, and gets those that fit a
//! case suggested; admins set and remove them. An article's checks are `domain::articles`, its
//! search `store::articles`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::meta::admin_error;
use crate::domain::agent::may_manage_agents;
use crate::domain::articles::{
    is_valid_language, search_terms, suggestion_terms, Article, Match, MAX_QUERY_CHARS, MAX_TERMS,
};
use crate::domain::event::{TimelineFilter, CASEBOOK_SOURCE};
use crate::server::extract::{parse_id, parse_limit, AgentAuth, ApiJson, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
pub use crate::wire::articles::{ArticleList, ArticleSuggestions};

/// An article, named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ArticleSlug {
    /// The article's slug: up to 64 lower-case letters, digits, `_`, `-`, `.`
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub slug: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleSearchParams {
    /// Words to find (every one; the last may be the start of a word). Left out: every article
    /// by title.
    pub q: Option<String>,
    /// `all` (the default): articles holding every word, the last as a prefix; `any`: those
    /// holding any word, best first.
    pub r#match: Option<String>,
    /// `en`, `it`, `hu`…: only articles in this language or in none.
    pub language: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// `en`, `it`, `hu`…: only articles in this language or in none.
    pub language: Option<String>,
    /// 1 to 20, default 5.
    pub limit: Option<String>,
}

fn language_param(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty()) {
        Some(l) if is_valid_language(&l) => Ok(Some(l)),
        Some(l) => Err(ApiError::invalid_parameter(
            "language",
            format!("`{}` is not a language: two letters such as en, it, hu", l.escape_debug()),
        )),
        None => Ok(None),
    }
}

#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(ArticleSearchParams),
    responses(
        (status = 200, description = "Articles that hold every word searched for, best first", body = ArticleList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    ApiQuery(p): ApiQuery<ArticleSearchParams>,
) -> ApiResult<Json<ArticleList>> {
    let limit = parse_limit(p.limit.as_deref(), 20, 100)?;
    let language = language_param(p.language.as_deref())?;
    let q = p.q.as_deref().unwrap_or("");
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid_parameter(
            "q",
            format!("{} characters; a search has up to {MAX_QUERY_CHARS}", q.chars().count()),
        ));
    }
    let how = match p.r#match.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.parse::<Match>().map_err(|e| ApiError::invalid_parameter("match", e.message))?,
        None => Match::All,
    };
    let terms = search_terms(q, MAX_TERMS);
    let articles = state.store.articles(&terms, how, language.as_deref(), limit).await?;
    Ok(Json(ArticleList { articles }))
}

#[utoipa::path(get, path = "/api/v1/articles/{slug}", tag = "articles", params(ArticleSlug),
    responses(
        (status = 200, description = "The article, whole", body = Article),
        (status = "4XX", description = "A problem (404: no such article)", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(ArticleSlug { slug }): Path<ArticleSlug>,
) -> ApiResult<Json<Article>> {
    match state.store.article(&slug).await? {
        Some(a) => Ok(Json(a)),
        None => Err(not_found(&slug)),
    }
}

fn not_found(slug: &str) -> ApiError {
    ApiError::not_found(format!("no article `{}`: GET /api/v1/articles?q= finds them", slug.escape_debug()))
}

#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", request_body = Article,
    responses(
        (status = 200, description = "The article as kept (replacing the one of the same slug, if any)", body = Article),
        (status = "4XX", description = "A problem (admins only; an article that does not check says what to fix)", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(a): ApiJson<Article>,
) -> ApiResult<Json<Article>> {
    may_manage_agents(&admin)?;
    let a = state.store.put_article(a).await.map_err(admin_error)?;
    tracing::info!(article = %a.slug, by = %admin.name, "article set");
    Ok(Json(a))
}

#[utoipa::path(delete, path = "/api/v1/articles/{slug}", tag = "articles", params(ArticleSlug),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "A problem (admins only; 404: no such article)", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(ArticleSlug { slug }): Path<ArticleSlug>,
) -> ApiResult<StatusCode> {
    may_manage_agents(&admin)?;
    if state.store.remove_article(&slug).await? {
        tracing::info!(article = %slug, by = %admin.name, "article removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&slug))
    }
}

/// The customer's latest events a suggestion reads (other systems' only).
const SUGGEST_FROM_EVENTS: u32 = 5;

#[utoipa::path(get, path = "/api/v1/cases/{id}/articles", tag = "articles",
    params(("id" = Uuid, Path, description = "The case"), SuggestParams),
    responses(
        (status = 200, description = "Articles that fit the case: its subject's words and those of the customer's latest events, best first", body = ArticleSuggestions),
        (status = "4XX", description = "A problem (404: no such case)", body = Problem, content_type = "application/problem+json")))]
pub async fn suggest(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> ApiResult<Json<ArticleSuggestions>> {
    let id = parse_id("case", &raw_id)?;
    let limit = parse_limit(p.limit.as_deref(), 5, 20)?;
    let language = language_param(p.language.as_deref())?;
    let Some(case) = state.store.case(id).await? else {
        return Err(ApiError::not_found(format!("no case with id {id}: GET /api/v1/cases lists them")));
    };
    let (events, _) =
        state.store.timeline(case.customer_id, &TimelineFilter::default(), SUGGEST_FROM_EVENTS * 4, None).await?;
    let titles = events.iter().filter(|e| e.source != CASEBOOK_SOURCE).take(SUGGEST_FROM_EVENTS as usize);
    let terms = suggestion_terms(&case.subject, titles.map(|e| e.title.as_str()));
    let articles = state.store.articles(&terms, Match::Any, language.as_deref(), limit).await?;
    Ok(Json(ArticleSuggestions { terms, articles }))
}
