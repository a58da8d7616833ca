-- casebook schema, SQLite. Times are microseconds since the Unix epoch (UTC); ids are UUID
-- text; JSON is text. Keep in step with postgres_0001_init.sql.

CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    teams       TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    agent_id    TEXT REFERENCES agents(id),
    source      TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    sort_name     TEXT NOT NULL,
    tier          TEXT,
    tags          TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX customers_by_name ON customers (sort_name, id);

CREATE TABLE customer_identities (
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (kind, source, value)
) WITHOUT ROWID;
CREATE INDEX customer_identities_by_customer ON customer_identities (customer_id);

CREATE TABLE customer_search (
    term         TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    PRIMARY KEY (term, customer_id)
) WITHOUT ROWID;

CREATE TABLE events (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    source           TEXT NOT NULL,
    source_event_id  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    ce_type          TEXT NOT NULL,
    occurred_at      INTEGER NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT,
    actor            TEXT,
    data             TEXT NOT NULL,
    extensions       TEXT NOT NULL DEFAULT '{}',
    case_id          TEXT,
    ingested_at      INTEGER NOT NULL,
    UNIQUE (source, source_event_id)
);
CREATE INDEX events_timeline ON events (customer_id, occurred_at DESC, id DESC);

CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    subject             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    status              TEXT NOT NULL,
    priority            TEXT NOT NULL,
    queue               TEXT NOT NULL,
    team                TEXT NOT NULL,
    assignee_id         TEXT REFERENCES agents(id),
    first_response_due  INTEGER,
    resolution_due      INTEGER,
    revision            INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    resolution_summary  TEXT,
    resolution_root_cause TEXT,
    resolution_outcome  TEXT,
    resolution_rasa_incomplete_reason TEXT,
    resolved_by         TEXT,
    resolved_at         INTEGER
);
CREATE INDEX cases_by_created ON cases (created_at DESC, id DESC);
CREATE INDEX cases_by_customer ON cases (customer_id, created_at DESC, id DESC);
CREATE INDEX cases_by_assignee ON cases (assignee_id, created_at DESC, id DESC);

CREATE TABLE case_notes (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    author_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, created_at, id);

CREATE TABLE rasa_entries (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    step        TEXT NOT NULL,
    notes       TEXT NOT NULL,
    done        INTEGER NOT NULL,
    author_id   TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX rasa_entries_by_case ON rasa_entries (case_id, created_at, id);

CREATE TABLE followups (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    case_id      TEXT REFERENCES cases(id),
    assignee_id  TEXT NOT NULL REFERENCES agents(id),
    due_at       INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    note         TEXT NOT NULL,
    status       TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    done_at      INTEGER
);
CREATE INDEX followups_by_assignee ON followups (assignee_id, status, due_at, id);
CREATE INDEX followups_by_case ON followups (case_id);
CREATE INDEX followups_by_due ON followups (due_at, id);
