-- The cases whose contact reason and root cause are not kept yet (written before migration
-- 0015): what the server fills in when it opens the database. Indexed so that finding none —
-- every start after the first — reads an empty index, not the cases table. Keep in step with
-- the other backend's 0017_reason_keys_missing.sql.
CREATE INDEX cases_reason_keys_missing ON cases (id) WHERE contact_reason_key IS NULL;
