-- Recall's first schema. Every time is an INTEGER of Unix microseconds (UTC),
-- so times round-trip exactly at microsecond precision and sort as numbers.

-- +goose Up
CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
    hash       BLOB    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX tokens_user_id ON tokens (user_id);

CREATE TABLE topics (
    id          TEXT    NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX topics_user_id_updated_at ON topics (user_id, updated_at DESC, id);

CREATE TABLE questions (
    id          TEXT    NOT NULL PRIMARY KEY,
    topic_id    TEXT    NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    prompt      TEXT    NOT NULL,
    answers     TEXT    NOT NULL, -- JSON array of strings
    choices     TEXT,             -- JSON array of strings, NULL when not multiple choice
    explanation TEXT    NOT NULL DEFAULT '',
    hint        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX questions_topic_id_position ON questions (topic_id, position);

CREATE TABLE sessions (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id     TEXT    NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    state        TEXT    NOT NULL,
    question_ids TEXT    NOT NULL, -- JSON array of question IDs
    current      INTEGER NOT NULL,
    answered     INTEGER NOT NULL,
    correct      INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    turns        INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user_id_created_at ON sessions (user_id, created_at DESC, id);
CREATE INDEX sessions_topic_id_state ON sessions (topic_id, state);

CREATE TABLE turns (
    session_id      TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    reply           TEXT    NOT NULL,
    question_id     TEXT    NOT NULL DEFAULT '',
    correct         INTEGER,          -- NULL, 0 or 1
    created_at      INTEGER NOT NULL,
    idempotency_key TEXT,             -- NULL when the client sent none
    after           TEXT,             -- JSON of the session as the turn left it
    PRIMARY KEY (session_id, idx),
    UNIQUE (session_id, idempotency_key)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE turns;
DROP TABLE sessions;
DROP TABLE questions;
DROP TABLE topics;
DROP TABLE tokens;
DROP TABLE users;
