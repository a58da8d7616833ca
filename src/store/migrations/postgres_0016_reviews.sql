-- Quality reviews (issue 15): a lead scores a closed case on a scorecard
-- (`domain::scorecard`); the reviewed agent acknowledges or disputes. Keep in step with the
-- other backend's 0016_reviews.sql.
-- scores: JSON of the scores; answer: JSON of the agent's answer; percent_x100: the score in
-- hundredths of a percent (0 when failed).
CREATE TABLE reviews (
    id            TEXT COLLATE "C" PRIMARY KEY,
    case_id       TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    agent_id      TEXT COLLATE "C",
    reviewer_id   TEXT COLLATE "C" NOT NULL,
    scorecard     TEXT COLLATE "C" NOT NULL,
    scores        TEXT NOT NULL,
    coaching      TEXT,
    percent_x100  BIGINT NOT NULL,
    failed        BIGINT NOT NULL,
    answer        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    answered_at   BIGINT
);
CREATE INDEX reviews_by_case ON reviews (case_id, created_at);
CREATE INDEX reviews_by_agent ON reviews (agent_id, created_at);
