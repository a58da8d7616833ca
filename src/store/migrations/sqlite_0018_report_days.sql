-- The report's daily rollups (issue 15), kept on write by `store::report_days`: for each UTC
-- day, team, queue and agent ('' when unassigned), the cases opened that day, and of the cases
-- resolved that day how many, how many with the RASA checklist complete, how many late, each
-- outcome, and their handle times as JSON {seconds: how many} (for exact medians). The server
-- fills it from the cases when it opens a database whose table is empty. Keep in step with the
-- other backend's 0018_report_days.sql.
CREATE TABLE report_days (
    day            BIGINT NOT NULL,
    team           TEXT NOT NULL,
    queue          TEXT NOT NULL,
    agent          TEXT NOT NULL,
    opened         BIGINT NOT NULL,
    resolved       BIGINT NOT NULL,
    rasa_complete  BIGINT NOT NULL,
    late           BIGINT NOT NULL,
    memorable      BIGINT NOT NULL,
    positive       BIGINT NOT NULL,
    negative       BIGINT NOT NULL,
    forgettable    BIGINT NOT NULL,
    handle         TEXT NOT NULL,
    PRIMARY KEY (day, team, queue, agent)
);
CREATE INDEX report_days_by_team ON report_days (team, day);
-- The cases still waiting, by when they were opened: the report's "breached now" among the
-- period's openings reads only these (the rest of its openings come from the rollups).
CREATE INDEX cases_active_by_created ON cases (created_at, team, queue, assignee_id, first_response_at, first_response_due, resolution_due)
    WHERE status IN ('new', 'open', 'pending');
