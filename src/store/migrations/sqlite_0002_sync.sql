-- The change feed for offline clients (GET /api/v1/sync/pull): every write to case work gets
-- the next number from change_counter inside its own transaction. The counter row stays locked
-- until that transaction commits, so numbers are handed out in commit order and a reader that
-- has seen number N has seen every number below it. sync_ops records every operation pushed by
-- an offline console, once, with the outcome a replay gets back. Keep in step with postgres_0002_sync.sql.

CREATE TABLE change_counter (
    id              INTEGER PRIMARY KEY,
    value           INTEGER NOT NULL,
    -- Changes up to and including this number were pruned: older cursors get 410.
    pruned_through  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO change_counter (id, value, pruned_through) VALUES (1, 0, 0);

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    case_id      TEXT,
    customer_id  TEXT,
    body         TEXT NOT NULL,
    at           INTEGER NOT NULL
);

CREATE TABLE sync_ops (
    op_id       TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL,
    agent_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    applied_at  INTEGER NOT NULL,
    UNIQUE (device_id, device_seq)
);
