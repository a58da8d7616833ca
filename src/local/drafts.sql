-- Schema 2: drafts of what the agent is typing (a step's notes, a note, a form's fields),
-- saved within a second of typing so that a crash or a kill loses at most that second.
-- `key` names the field (`case/<id>/note`, `case/<id>/rasa/receive`, …); a draft leaves when
-- what it drafted is recorded in the outbox.
CREATE TABLE drafts (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
