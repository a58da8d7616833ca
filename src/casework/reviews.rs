//! Quality reviews as case work: a lead of the case's team scores a resolved case on the
//! server's scorecard (`domain::scorecard`), with coaching; the reviewed agent acknowledges the
//! review or disputes one criterion with a reason. The same rules for the REST API and for
//! operations pushed by offline consoles (`review.add`, `review.answer`).

use uuid::Uuid;

use super::{load_case, WorkError, WorkResult};
use crate::domain::agent::{may_review, Agent, Denied};
use crate::domain::scorecard::{Answer, Scorecard, MAX_COACHING_CHARS};
use crate::domain::time::now;
use crate::domain::{optional_text, Invalid};
use crate::store::reviews::{fetch_review, insert_review, set_answer};
use crate::store::Tx;
use crate::wire::reviews::{NewReviewRequest, Review};

/// Scores a resolved case (the review gets the id given: server-made for the API, client-made
/// offline).
pub async fn add_review(
    tx: &mut Tx,
    lead: &Agent,
    card: &Scorecard,
    review_id: Uuid,
    case_id: Uuid,
    req: NewReviewRequest,
) -> WorkResult<Review> {
    let case = load_case(tx, case_id).await?;
    may_review(lead, &case)?;
    if case.resolution.is_none() {
        return Err(WorkError::State(Invalid::general(
            "the case is not resolved yet: a review judges a case once it is resolved",
        )));
    }
    card.check_scores(&req.scores)?;
    let coaching = match &req.coaching {
        Some(c) => optional_text("coaching", c, MAX_COACHING_CHARS)?,
        None => None,
    };
    let outcome = card.outcome(&req.scores);
    let review = Review {
        id: review_id,
        case_id: case.id,
        agent_id: case.assignee_id,
        reviewer_id: lead.id,
        scorecard: card.name.clone(),
        scores: req.scores,
        coaching,
        percent: (outcome.percent * 100.0).round() / 100.0,
        failed: outcome.failed,
        answer: Answer::Open,
        created_at: now(),
        answered_at: None,
    };
    // The insert claims the id: a review with it exists already when nothing was written.
    if !insert_review(tx, &review).await? {
        return Err(Invalid::field("id", format!("a review with id {review_id} exists already: make a new id")).into());
    }
    tracing::info!(case = %case.id, by = %lead.name, percent = review.percent, "case reviewed");
    Ok(review)
}

/// The reviewed agent's answer: acknowledged, or one criterion disputed with a reason; once.
pub async fn answer_review(tx: &mut Tx, agent: &Agent, review_id: Uuid, next: Answer) -> WorkResult<Review> {
    let Some(review) = fetch_review(tx, review_id).await? else {
        return Err(WorkError::NotFound(format!(
            "no review with id {review_id}: GET /api/v1/reviews/mine lists yours"
        )));
    };
    if review.agent_id != Some(agent.id) {
        return Err(Denied("only the agent reviewed answers a review".into()).into());
    }
    if next == Answer::Open {
        return Err(Invalid::field("state", "answer `acknowledged` or `disputed`").into());
    }
    if review.answer != Answer::Open {
        return Err(WorkError::State(Invalid::general("this review was answered already")));
    }
    let next = Answer::Open.answered(next, &review.scores)?;
    if !set_answer(tx, review_id, &next).await? {
        return Err(WorkError::State(Invalid::general("this review was answered already")));
    }
    fetch_review(tx, review_id).await?.ok_or_else(|| WorkError::NotFound(format!("no review with id {review_id}")))
}
