//! The knowledge base's articles (`domain::articles`) and their full-text search: SQLite's FTS5
//! table kept beside the rows in the same transaction, PostgreSQL's weighted `tsvector` column
//! with a GIN index. Both split words the same way (`domain::articles::search_terms` makes the
//! query from letters and digits only, so no input can break either's query syntax), and rank
//! title over tags over summary over text.

use sqlx::any::AnyRow;

use super::agents::AdminError;
use super::{col_json, col_opt_str, col_str, to_json, Backend, Result, Store};
use crate::domain::articles::{Article, ArticleHit, Match};
use crate::domain::time::{now, to_micros};

const HIT_COLUMNS: &str = "a.slug, a.title, a.summary, a.tags, a.language, a.url";

fn hit_from_row(r: &AnyRow) -> Result<ArticleHit> {
    Ok(ArticleHit {
        slug: col_str(r, "slug")?,
        title: col_str(r, "title")?,
        summary: col_str(r, "summary")?,
        tags: col_json(r, "tags")?,
        language: col_opt_str(r, "language")?,
        url: col_opt_str(r, "url")?,
    })
}

/// The words as a query in the backend's own syntax: FTS5's quoted strings (`"a" AND "b"*`), or
/// a PostgreSQL `tsquery` (`a & b:*`). The words hold letters and digits only.
fn query_text(backend: Backend, terms: &[String], how: Match) -> String {
    let last = terms.len().saturating_sub(1);
    let parts = terms.iter().enumerate().map(|(i, t)| {
        let prefix = how == Match::All && i == last;
        match (backend, prefix) {
            (Backend::Sqlite, false) => format!("\"{t}\""),
            (Backend::Sqlite, true) => format!("\"{t}\"*"),
            (Backend::Postgres, false) => t.clone(),
            (Backend::Postgres, true) => format!("{t}:*"),
        }
    });
    let join = match (backend, how) {
        (Backend::Sqlite, Match::All) => " AND ",
        (Backend::Sqlite, Match::Any) => " OR ",
        (Backend::Postgres, Match::All) => " & ",
        (Backend::Postgres, Match::Any) => " | ",
    };
    parts.collect::<Vec<_>>().join(join)
}

impl Store {
    /// Sets an article (checked first), replacing the one of the same slug.
    pub async fn put_article(&self, article: Article) -> std::result::Result<Article, AdminError> {
        let a = article.checked().map_err(AdminError::Invalid)?;
        let mut tx = self.begin_write().await?;
        let tags = to_json(&a.tags);
        sqlx::query(
            "INSERT INTO articles (slug, title, summary, body, tags, language, url, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title, summary = excluded.summary, \
             body = excluded.body, tags = excluded.tags, language = excluded.language, url = excluded.url, \
             updated_at = excluded.updated_at",
        )
        .bind(a.slug.clone())
        .bind(a.title.clone())
        .bind(a.summary.clone())
        .bind(a.body.clone())
        .bind(tags.clone())
        .bind(a.language.clone())
        .bind(a.url.clone())
        .bind(to_micros(now()))
        .execute(&mut *tx)
        .await
        .map_err(super::StoreError::from)?;
        if self.backend() == Backend::Sqlite {
            sqlx::query("DELETE FROM articles_fts WHERE slug = $1")
                .bind(a.slug.clone())
                .execute(&mut *tx)
                .await
                .map_err(super::StoreError::from)?;
            sqlx::query("INSERT INTO articles_fts (slug, title, tags, summary, body) VALUES ($1, $2, $3, $4, $5)")
                .bind(a.slug.clone())
                .bind(a.title.clone())
                .bind(a.tags.join(" "))
                .bind(a.summary.clone())
                .bind(a.body.clone())
                .execute(&mut *tx)
                .await
                .map_err(super::StoreError::from)?;
        }
        tx.commit().await?;
        Ok(a)
    }

    /// One article, whole.
    pub async fn article(&self, slug: &str) -> Result<Option<Article>> {
        let row = sqlx::query("SELECT slug, title, summary, body, tags, language, url FROM articles WHERE slug = $1")
            .bind(slug.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(Article {
                slug: col_str(&r, "slug")?,
                title: col_str(&r, "title")?,
                summary: col_str(&r, "summary")?,
                body: col_str(&r, "body")?,
                tags: col_json(&r, "tags")?,
                language: col_opt_str(&r, "language")?,
                url: col_opt_str(&r, "url")?,
            })
        })
        .transpose()
    }

    /// Removes an article; false when there was none of that slug.
    pub async fn remove_article(&self, slug: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM articles WHERE slug = $1").bind(slug.to_string()).execute(&mut *tx).await?;
        if self.backend() == Backend::Sqlite {
            sqlx::query("DELETE FROM articles_fts WHERE slug = $1").bind(slug.to_string()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n.rows_affected() > 0)
    }

    /// Articles in `language` (or in none; every article when `None`): those whose title, tags,
    /// summary or text hold the words (`how`), best first; every article by title when there
    /// are no words.
    pub async fn articles(
        &self,
        terms: &[String],
        how: Match,
        language: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ArticleHit>> {
        let language = language.map(str::to_string);
        let limit = i64::from(limit.clamp(1, 200));
        let rows = if terms.is_empty() {
            sqlx::query(&format!(
                "SELECT {HIT_COLUMNS} FROM articles a \
                 WHERE (CAST($1 AS TEXT) IS NULL OR a.language IS NULL OR a.language = $1) ORDER BY a.title, a.slug LIMIT $2"
            ))
            .bind(language)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        } else {
            let q = query_text(self.backend(), terms, how);
            let sql = match self.backend() {
                Backend::Sqlite => format!(
                    "SELECT {HIT_COLUMNS} FROM articles_fts JOIN articles a ON a.slug = articles_fts.slug \
                     WHERE articles_fts MATCH $1 AND (CAST($2 AS TEXT) IS NULL OR a.language IS NULL OR a.language = $2) \
                     ORDER BY bm25(articles_fts, 0.0, 10.0, 5.0, 3.0, 1.0), a.slug LIMIT $3"
                ),
                Backend::Postgres => format!(
                    "SELECT {HIT_COLUMNS} FROM articles a \
                     WHERE a.search @@ to_tsquery('simple', $1) AND ($2::text IS NULL OR a.language IS NULL OR a.language = $2) \
                     ORDER BY ts_rank(a.search, to_tsquery('simple', $1)) DESC, a.slug LIMIT $3"
                ),
            };
            sqlx::query(&sql).bind(q).bind(language).bind(limit).fetch_all(self.reader()).await?
        };
        rows.iter().map(hit_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_in_each_backends_syntax() {
        let t = vec!["refund".to_string(), "karte".to_string()];
        assert_eq!(query_text(Backend::Sqlite, &t, Match::All), "\"refund\" AND \"karte\"*");
        assert_eq!(query_text(Backend::Sqlite, &t, Match::Any), "\"refund\" OR \"karte\"");
        assert_eq!(query_text(Backend::Postgres, &t, Match::All), "refund & karte:*");
        assert_eq!(query_text(Backend::Postgres, &t, Match::Any), "refund | karte");
    }
}
