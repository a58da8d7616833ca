-- Incoming webhooks (issue 13): each hook's mapping (TOML, as the admin set it) and its secret,
-- sealed with the server's secret key (never stored in clear). Keep in step with the other
-- backend's 0006_hooks.sql.
CREATE TABLE hooks (
    name        TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    mapping     TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Authentic deliveries the mapping could not read: kept, with why, for an admin to inspect and
-- replay once the mapping reads them. Nothing an integration sends is dropped silently.
CREATE TABLE hook_failures (
    id          TEXT PRIMARY KEY,
    hook        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    headers     TEXT NOT NULL,
    body        TEXT NOT NULL,
    problem     TEXT NOT NULL,
    replayed_at BIGINT
);
CREATE INDEX hook_failures_hook ON hook_failures (hook, received_at);
