-- Conversations with the tutor. A conversation row holds the state its next
-- reply needs beyond the recent messages (the running summary of older
-- messages, the questions in play, the question being quizzed), so that a
-- cache miss is rebuilt from this row and the conversation's last messages.
-- A message's idempotency key is kept on both messages of its exchange, one
-- per role.

-- +goose Up
CREATE TABLE conversations (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id     TEXT    NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    title        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    messages     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    summary      TEXT    NOT NULL,
    question_ids TEXT    NOT NULL, -- JSON array of question IDs
    quizzing     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX conversations_user_id_created_at ON conversations (user_id, created_at DESC, id);

CREATE TABLE conversation_messages (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    role            TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    question_ids    TEXT    NOT NULL, -- JSON array of question IDs
    correct         INTEGER,          -- NULL, 0 or 1
    tutor           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    idempotency_key TEXT,             -- NULL when the client sent none
    PRIMARY KEY (conversation_id, idx),
    UNIQUE (conversation_id, idempotency_key, role)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE conversation_messages;
DROP TABLE conversations;
