-- The console's local store. Ids are UUID text, times i64 microseconds, bodies the server's
-- JSON for the entity as it was last confirmed.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Confirmed server state (from the change feed, push answers and REST reads).
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    assignee_id TEXT,
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX cases_customer ON cases (customer_id, created_at DESC);
CREATE INDEX cases_assignee ON cases (assignee_id, created_at DESC);

CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notes_case ON notes (case_id, created_at, id);

CREATE TABLE rasa_entries (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX rasa_entries_case ON rasa_entries (case_id, at, id);

CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    case_id TEXT,
    customer_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    status TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX followups_case ON followups (case_id);
CREATE INDEX followups_assignee ON followups (assignee_id, status, due_at);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX events_timeline ON events (customer_id, occurred_at DESC, id DESC);

-- The outbox: every write of the console, in the order it was made. `seq` never repeats
-- (AUTOINCREMENT); the number the server sees is `seq - device_base` (meta), so that a device
-- that must start afresh (a replaced server database) can renumber from 1 without reordering.
-- state: pending (to push), conflict or rejected (answered; `answer` holds the server's answer,
-- kept until the agent settles it). Applied operations leave the outbox: their result is
-- confirmed state.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    case_id TEXT,
    payload TEXT NOT NULL,
    -- The earlier pending operation on the same case or follow-up whose result this one's
    -- revision was read from (see Operation::depends_on).
    depends_on TEXT,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    answer TEXT
);
CREATE INDEX outbox_state ON outbox (state, seq);
CREATE INDEX outbox_case ON outbox (case_id, seq);
CREATE INDEX outbox_entity ON outbox (entity_id, seq);
