-- Rules that act on what arrives (issue 13): each rule as an admin wrote it (TOML), whether it
-- is on, and every time one fired. Keep in step with the other backend's 0008_rules.sql.

-- definition: the rule's TOML (checked when set). enabled: 1 when on. A built-in rule is
-- stored here when an admin first enables it.
CREATE TABLE rules (
    name        TEXT COLLATE "C" PRIMARY KEY,
    definition  TEXT COLLATE "C" NOT NULL,
    enabled     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX rules_enabled ON rules (enabled);

-- One row each time a rule fired: on an event (its id) or a case event
-- (`case.opened:<case>`, `case.resolved:<case>:<revision>`). The key makes a rule fire once
-- per event with any number of API nodes: the row is written in the transaction of what the
-- rule did. actions: JSON list of what it did, in words.
CREATE TABLE rule_firings (
    rule         TEXT COLLATE "C" NOT NULL,
    trigger_key  TEXT COLLATE "C" NOT NULL,
    customer_id  TEXT COLLATE "C" NOT NULL,
    fired_at     BIGINT NOT NULL,
    actions      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (rule, trigger_key)
);
CREATE INDEX rule_firings_by_time ON rule_firings (rule, fired_at);
