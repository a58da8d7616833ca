-- The knowledge base (issue 14): articles in Markdown, found by full-text search. Keep in step
-- with the other backend's 0013_articles.sql.
-- tags: a JSON array of names. The FTS5 table below is kept by the store in the same
-- transaction as the row (delete and insert), keyed by the slug; words are split on what is
-- not a letter or digit (unicode61), as PostgreSQL's `simple` configuration does, accents kept.
CREATE TABLE articles (
    slug        TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL,
    tags        TEXT NOT NULL,
    language    TEXT,
    url         TEXT,
    updated_at  BIGINT NOT NULL
);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    slug UNINDEXED, title, tags, summary, body,
    tokenize = 'unicode61 remove_diacritics 0'
);
