-- Business hours (issue 15): schedules, which teams and queues keep them, and each case's
-- status history (what pauses its resolution clock). Keep in step with the other backend's
-- 0014_schedules.sql.
-- definition: the schedule as JSON (`domain::schedule::ScheduleSpec`, checked when set).
CREATE TABLE schedules (
    name        TEXT COLLATE "C" PRIMARY KEY,
    definition  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- scope: 'team' or 'queue'; a queue's schedule wins over its team's.
CREATE TABLE schedule_assignments (
    scope     TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    schedule  TEXT COLLATE "C" NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
    PRIMARY KEY (scope, name)
);
-- Every change of a case's status, in order: the clocks are computed from it.
CREATE TABLE case_status_history (
    case_id      TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    at           BIGINT NOT NULL,
    from_status  TEXT COLLATE "C" NOT NULL,
    to_status    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX case_status_history_case ON case_status_history (case_id, at);
-- The history so far, from the timeline's record of status changes.
INSERT INTO case_status_history (case_id, at, from_status, to_status)
SELECT case_id, occurred_at, data::json->>'from', data::json->>'to'
FROM events
WHERE source = 'casebook' AND kind = 'case_status_changed' AND case_id IS NOT NULL
  AND data::json->>'from' IS NOT NULL AND data::json->>'to' IS NOT NULL
  AND case_id IN (SELECT id FROM cases);
-- Where each case's clocks were counted up to when its business hours last changed, and what
-- they had used by then (seconds): a new schedule counts only what is left.
ALTER TABLE cases ADD COLUMN clock_base_at BIGINT;
ALTER TABLE cases ADD COLUMN clock_first_used BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN clock_resolution_used BIGINT NOT NULL DEFAULT 0;
-- A case waiting on the customer has no resolution due time while its clock stands still: a
-- queue sorted by due time puts it last, by this expression (as `store::queues` writes it).
DROP INDEX cases_active_by_queue_due;
CREATE INDEX cases_active_by_queue_due ON cases (queue, (COALESCE(resolution_due, 9000000000000000000)), id)
    WHERE status IN ('new', 'open', 'pending');
