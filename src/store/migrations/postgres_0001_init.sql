-- casebook schema, PostgreSQL. Times are microseconds since the Unix epoch (UTC); ids are UUID
-- text; JSON is text. Every text column collates as "C" (byte order), as SQLite does. Keep in step with sqlite_0001_init.sql.

CREATE TABLE agents (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    role        TEXT COLLATE "C" NOT NULL,
    teams       TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash        TEXT COLLATE "C" PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    kind        TEXT COLLATE "C" NOT NULL,
    agent_id    TEXT COLLATE "C" REFERENCES agents(id),
    source      TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE customers (
    id            TEXT COLLATE "C" PRIMARY KEY,
    display_name  TEXT COLLATE "C" NOT NULL,
    sort_name     TEXT COLLATE "C" NOT NULL,
    tier          TEXT COLLATE "C",
    tags          TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX customers_by_name ON customers (sort_name, id);

CREATE TABLE customer_identities (
    kind         TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    value        TEXT COLLATE "C" NOT NULL,
    customer_id  TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (kind, source, value)
);
CREATE INDEX customer_identities_by_customer ON customer_identities (customer_id);

CREATE TABLE customer_search (
    term         TEXT COLLATE "C" NOT NULL,
    customer_id  TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    PRIMARY KEY (term, customer_id)
);

CREATE TABLE events (
    id               TEXT COLLATE "C" PRIMARY KEY,
    customer_id      TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    source           TEXT COLLATE "C" NOT NULL,
    source_event_id  TEXT COLLATE "C" NOT NULL,
    kind             TEXT COLLATE "C" NOT NULL,
    ce_type          TEXT COLLATE "C" NOT NULL,
    occurred_at      BIGINT NOT NULL,
    title            TEXT COLLATE "C" NOT NULL,
    body             TEXT COLLATE "C",
    actor            TEXT COLLATE "C",
    data             TEXT COLLATE "C" NOT NULL,
    extensions       TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    case_id          TEXT COLLATE "C",
    ingested_at      BIGINT NOT NULL,
    UNIQUE (source, source_event_id)
);
CREATE INDEX events_timeline ON events (customer_id, occurred_at DESC, id DESC);

CREATE TABLE cases (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    customer_id         TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    subject             TEXT COLLATE "C" NOT NULL,
    channel             TEXT COLLATE "C" NOT NULL,
    status              TEXT COLLATE "C" NOT NULL,
    priority            TEXT COLLATE "C" NOT NULL,
    queue               TEXT COLLATE "C" NOT NULL,
    team                TEXT COLLATE "C" NOT NULL,
    assignee_id         TEXT COLLATE "C" REFERENCES agents(id),
    first_response_due  BIGINT,
    resolution_due      BIGINT,
    revision            BIGINT NOT NULL,
    created_by          TEXT COLLATE "C" NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    resolution_summary  TEXT COLLATE "C",
    resolution_root_cause TEXT COLLATE "C",
    resolution_outcome  TEXT COLLATE "C",
    resolution_rasa_incomplete_reason TEXT COLLATE "C",
    resolved_by         TEXT COLLATE "C",
    resolved_at         BIGINT
);
CREATE INDEX cases_by_created ON cases (created_at DESC, id DESC);
CREATE INDEX cases_by_customer ON cases (customer_id, created_at DESC, id DESC);
CREATE INDEX cases_by_assignee ON cases (assignee_id, created_at DESC, id DESC);

CREATE TABLE case_notes (
    id          TEXT COLLATE "C" PRIMARY KEY,
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    author_id   TEXT COLLATE "C" NOT NULL,
    body        TEXT COLLATE "C" NOT NULL,
    visibility  TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, created_at, id);

CREATE TABLE rasa_entries (
    id          TEXT COLLATE "C" PRIMARY KEY,
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    step        TEXT COLLATE "C" NOT NULL,
    notes       TEXT COLLATE "C" NOT NULL,
    done        BIGINT NOT NULL,
    author_id   TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX rasa_entries_by_case ON rasa_entries (case_id, created_at, id);

CREATE TABLE followups (
    id           TEXT COLLATE "C" PRIMARY KEY,
    customer_id  TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    case_id      TEXT COLLATE "C" REFERENCES cases(id),
    assignee_id  TEXT COLLATE "C" NOT NULL REFERENCES agents(id),
    due_at       BIGINT NOT NULL,
    channel      TEXT COLLATE "C" NOT NULL,
    note         TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    revision     BIGINT NOT NULL,
    created_by   TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE INDEX followups_by_assignee ON followups (assignee_id, status, due_at, id);
CREATE INDEX followups_by_case ON followups (case_id);
CREATE INDEX followups_by_due ON followups (due_at, id);
