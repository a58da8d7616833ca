-- Tags on cases (issue 14): agents add and remove them in the case view. A JSON list of
-- lower-case names, sorted. Keep in step with the other backend's 0012_case_tags.sql.
ALTER TABLE cases ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
