-- Who has a case open now: each console tells the server every few seconds while an agent
-- has the case open (PUT /api/v1/cases/{id}/presence). A row older than the presence window
-- means the agent left. Keep in step with the other backend's 0004_presence.sql.

CREATE TABLE case_presence (
    case_id   TEXT NOT NULL,
    agent_id  TEXT NOT NULL REFERENCES agents(id),
    since     BIGINT NOT NULL,
    seen_at   BIGINT NOT NULL,
    PRIMARY KEY (case_id, agent_id)
);
CREATE INDEX case_presence_seen ON case_presence (seen_at);
