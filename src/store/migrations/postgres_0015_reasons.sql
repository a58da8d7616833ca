-- What the report ranks (issue 15), kept on write so that ranking reads an index: each case's
-- contact reason (its subject, numbers taken out) and root cause (its resolution's first why,
-- normalised) as `domain::reasons` makes them. Cases written before are filled in by the
-- server when it opens the database. Keep in step with the other backend's 0015_reasons.sql.
ALTER TABLE cases ADD COLUMN contact_reason_key TEXT COLLATE "C";
ALTER TABLE cases ADD COLUMN root_cause_key TEXT COLLATE "C";
CREATE INDEX cases_contact_reasons ON cases (created_at, team, contact_reason_key);
CREATE INDEX cases_root_causes ON cases (resolved_at, team, root_cause_key);
