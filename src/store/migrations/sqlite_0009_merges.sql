-- One customer known to many systems (issue 13): two customers a person judged the same are
-- merged — the merged one's identities, events, cases and follow-ups move to the kept one — and
-- a merge can be undone exactly. Keep in step with the other backend's 0009_merges.sql.

-- Set on a customer merged into another: it is hidden from search and lists, and reading it
-- says where it went.
ALTER TABLE customers ADD COLUMN merged_into TEXT;

-- moved: JSON of what moved (identities, event ids, case ids, follow-up ids, and the tags the
-- kept customer had before), so that undoing moves exactly that back.
CREATE TABLE customer_merges (
    id          TEXT PRIMARY KEY,
    kept_id     TEXT NOT NULL REFERENCES customers(id),
    merged_id   TEXT NOT NULL REFERENCES customers(id),
    moved       TEXT NOT NULL,
    merged_by   TEXT NOT NULL,
    merged_at   BIGINT NOT NULL,
    undone_by   TEXT,
    undone_at   BIGINT
);
CREATE INDEX customer_merges_by_kept ON customer_merges (kept_id, merged_at);
CREATE INDEX customer_merges_by_merged ON customer_merges (merged_id, merged_at);
