-- Team macros (issue 14): canned texts with variables that agents insert into notes and RASA
-- steps, kept by the server so the whole team has the same ones; admins load them. Keep in step
-- with the other backend's 0011_macros.sql.
-- definition: the macro as JSON (checked when set).
CREATE TABLE macros (
    name        TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
