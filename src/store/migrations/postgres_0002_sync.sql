-- The change feed for offline clients (GET /api/v1/sync/pull): every write to case work gets
-- the next number from change_counter inside its own transaction. The counter row stays locked
-- until that transaction commits, so numbers are handed out in commit order and a reader that
-- has seen number N has seen every number below it. sync_ops records every operation pushed by
-- an offline console, once, with the outcome a replay gets back. Keep in step with sqlite_0002_sync.sql.

CREATE TABLE change_counter (
    id              BIGINT PRIMARY KEY,
    value           BIGINT NOT NULL,
    -- Changes up to and including this number were pruned: older cursors get 410.
    pruned_through  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO change_counter (id, value, pruned_through) VALUES (1, 0, 0);

CREATE TABLE changes (
    seq          BIGINT PRIMARY KEY,
    entity       TEXT COLLATE "C" NOT NULL,
    entity_id    TEXT COLLATE "C" NOT NULL,
    case_id      TEXT COLLATE "C",
    customer_id  TEXT COLLATE "C",
    body         TEXT COLLATE "C" NOT NULL,
    at           BIGINT NOT NULL
);

CREATE TABLE sync_ops (
    op_id       TEXT COLLATE "C" PRIMARY KEY,
    device_id   TEXT COLLATE "C" NOT NULL,
    device_seq  BIGINT NOT NULL,
    agent_id    TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    outcome     TEXT COLLATE "C" NOT NULL,
    applied_at  BIGINT NOT NULL,
    UNIQUE (device_id, device_seq)
);
