-- Queues, SLA policies and when a case was first answered (issue 6). Keep in step with the
-- other backend's 0005_queues_sla.sql.

-- When the customer first had an answer (the case left `new`); the first-response SLA is
-- measured to it. Cases from before this migration that had left `new` count as answered
-- when opened (their real time was not recorded).
ALTER TABLE cases ADD COLUMN first_response_at BIGINT;
UPDATE cases SET first_response_at = created_at WHERE status <> 'new';

-- A queue: a named view of a team's cases. `id` is what cases carry in `queue`.
-- statuses: JSON list of the statuses it shows; sort: age | due | priority.
CREATE TABLE queues (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    team        TEXT NOT NULL,
    statuses    TEXT NOT NULL,
    sort        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- How soon a case of each priority must be first answered and resolved, in seconds.
CREATE TABLE sla_policies (
    priority            TEXT PRIMARY KEY,
    first_response_secs BIGINT NOT NULL,
    resolution_secs     BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
INSERT INTO sla_policies (priority, first_response_secs, resolution_secs, updated_at) VALUES
    ('urgent', 900, 14400, 0),
    ('high', 3600, 28800, 0),
    ('normal', 14400, 86400, 0),
    ('low', 86400, 259200, 0);

INSERT INTO queues (id, name, team, statuses, sort, created_at) VALUES
    ('general', 'General', 'support', '["new","open","pending"]', 'due', 0);

-- Active cases of a queue, oldest first and by resolution due time (queries repeat the
-- predicate word for word so the planner may use them).
CREATE INDEX cases_active_by_queue_age ON cases (queue, created_at, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX cases_active_by_queue_due ON cases (queue, resolution_due, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX cases_active_by_assignee ON cases (assignee_id) WHERE status IN ('new', 'open', 'pending');
-- The summary report reads cases opened, and cases resolved, in a period: these cover every
-- column it reads, so it never goes to the table.
CREATE INDEX cases_report_opened ON cases (created_at, team, queue, assignee_id, status, first_response_at, first_response_due, resolution_due);
CREATE INDEX cases_report_resolved ON cases (resolved_at, team, queue, assignee_id, created_at, resolution_due, first_response_at, first_response_due, resolution_outcome, resolution_rasa_incomplete_reason);
-- Reports: the customer's latest resolved case before a survey answer, and survey answers by time.
CREATE INDEX cases_by_customer_resolved ON cases (customer_id, resolved_at);
CREATE INDEX events_surveys ON events (occurred_at) WHERE kind LIKE '%csat%' OR kind LIKE '%nps%';
