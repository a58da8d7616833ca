//! Quality reviews (`domain::scorecard`): a lead's scores of a closed case, the agent's answer.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{col_json, col_opt_str, col_opt_ts, col_str, col_ts, col_uuid, to_json, Result, Sql, Store, Tx};
use crate::domain::scorecard::Answer;
use crate::domain::time::{now, to_micros};
pub use crate::wire::reviews::Review;

const COLUMNS: &str =
    "id, case_id, agent_id, reviewer_id, scorecard, scores, coaching, percent_x100, failed, answer, created_at, answered_at";

fn review_from_row(r: &AnyRow) -> Result<Review> {
    Ok(Review {
        id: col_uuid(r, "id")?,
        case_id: col_uuid(r, "case_id")?,
        agent_id: col_opt_str(r, "agent_id")?.and_then(|a| Uuid::parse_str(&a).ok()),
        reviewer_id: col_uuid(r, "reviewer_id")?,
        scorecard: col_str(r, "scorecard")?,
        scores: col_json(r, "scores")?,
        coaching: col_opt_str(r, "coaching")?,
        percent: super::col_i64(r, "percent_x100")? as f64 / 100.0,
        failed: super::col_i64(r, "failed")? != 0,
        answer: col_json(r, "answer")?,
        created_at: col_ts(r, "created_at")?,
        answered_at: col_opt_ts(r, "answered_at")?,
    })
}

/// Keeps a review (checked by the caller); false when one with its id is there already.
pub async fn insert_review(tx: &mut Tx, review: &Review) -> Result<bool> {
    let n = sqlx::query(&format!(
        "INSERT INTO reviews ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING"
    ))
    .bind(review.id.to_string())
    .bind(review.case_id.to_string())
    .bind(review.agent_id.map(|a| a.to_string()))
    .bind(review.reviewer_id.to_string())
    .bind(review.scorecard.clone())
    .bind(to_json(&review.scores))
    .bind(review.coaching.clone())
    .bind((review.percent * 100.0).round() as i64)
    .bind(i64::from(review.failed))
    .bind(to_json(&review.answer))
    .bind(to_micros(review.created_at))
    .bind(review.answered_at.map(to_micros))
    .execute(&mut **tx)
    .await?;
    Ok(n.rows_affected() == 1)
}

/// One review, read in the caller's transaction.
pub async fn fetch_review(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Review>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM reviews WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(review_from_row).transpose()
}

/// Records the agent's answer, if the review is still unanswered; false when it was not.
pub async fn set_answer(tx: &mut Tx, id: Uuid, answer: &Answer) -> Result<bool> {
    let n = sqlx::query("UPDATE reviews SET answer = $1, answered_at = $2 WHERE id = $3 AND answered_at IS NULL")
        .bind(to_json(answer))
        .bind(to_micros(now()))
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(n.rows_affected() == 1)
}

impl Store {
    /// A case's reviews, oldest first.
    pub async fn reviews_of(&self, case_id: Uuid) -> Result<Vec<Review>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM reviews WHERE case_id = $1 ORDER BY created_at, id"))
            .bind(case_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(review_from_row).collect()
    }

    /// The reviews of several cases (up to 200), oldest first: the closed-cases list's quality
    /// scores in one query.
    pub async fn reviews_of_cases(&self, case_ids: &[Uuid]) -> Result<Vec<Review>> {
        if case_ids.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(self.backend(), &format!("SELECT {COLUMNS} FROM reviews WHERE case_id IN ("));
        sql.bind_list(case_ids.iter().map(Uuid::to_string)).push(") ORDER BY created_at, id");
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        rows.iter().map(review_from_row).collect()
    }

    /// An agent's reviews, newest first (up to `limit`).
    pub async fn reviews_for(&self, agent_id: Uuid, limit: u32) -> Result<Vec<Review>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reviews WHERE agent_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(agent_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(review_from_row).collect()
    }
}
