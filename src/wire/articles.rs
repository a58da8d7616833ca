//! The knowledge base over the wire: a list of articles found, and the articles suggested for a
//! case with the words they were found by. The articles themselves are `domain::articles`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::articles::ArticleHit;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArticleList {
    /// Best match first (by title when nothing was searched for).
    pub articles: Vec<ArticleHit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArticleSuggestions {
    /// The words looked for: the case's subject's, then those of the customer's latest events.
    pub terms: Vec<String>,
    /// Best match first.
    pub articles: Vec<ArticleHit>,
}
