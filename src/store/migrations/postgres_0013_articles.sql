-- The knowledge base (issue 14): articles in Markdown, found by full-text search. Keep in step
-- with the other backend's 0013_articles.sql.
-- tags: a JSON array of names. `search` is the text search vector, weighted title (A), tags (B),
-- summary (C), body (D), with the `simple` configuration: words split and lower-cased, no
-- stemming and accents kept, as SQLite's FTS5 table does, so both find the same articles.
CREATE TABLE articles (
    slug        TEXT COLLATE "C" PRIMARY KEY,
    title       TEXT COLLATE "C" NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL,
    tags        TEXT NOT NULL,
    language    TEXT COLLATE "C",
    url         TEXT,
    updated_at  BIGINT NOT NULL,
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') ||
        setweight(to_tsvector('simple', translate(tags, '[]",', '    ')), 'B') ||
        setweight(to_tsvector('simple', summary), 'C') ||
        setweight(to_tsvector('simple', body), 'D')
    ) STORED
);
CREATE INDEX articles_search ON articles USING GIN (search);
