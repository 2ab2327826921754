-- Conversations with the tutor. A conversation row holds the state its next
-- reply needs beyond the recent messages (the running summary of older
-- messages, the questions in play, the question being quizzed), so that a
-- cache miss is rebuilt from this row and the conversation's last messages.
-- A message's idempotency key is kept on both messages of its exchange, one
-- per role.

-- +goose Up
CREATE TABLE conversations (
    id           text COLLATE "C"   NOT NULL,
    user_id      text COLLATE "C"   NOT NULL,
    topic_id     text COLLATE "C"   NOT NULL,
    title        text               NOT NULL,
    state        text               NOT NULL,
    messages     integer            NOT NULL,
    version      bigint             NOT NULL,
    summary      text               NOT NULL,
    question_ids text[] COLLATE "C" NOT NULL,
    quizzing     text COLLATE "C"   NOT NULL,
    created_at   timestamptz        NOT NULL,
    updated_at   timestamptz        NOT NULL,
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT conversations_topic_id_fkey FOREIGN KEY (topic_id) REFERENCES topics (id) ON DELETE CASCADE
);

CREATE INDEX conversations_user_id_created_at ON conversations (user_id, created_at DESC, id);

CREATE TABLE conversation_messages (
    conversation_id text COLLATE "C"   NOT NULL,
    idx             integer            NOT NULL,
    role            text               NOT NULL,
    content         text               NOT NULL,
    question_ids    text[] COLLATE "C" NOT NULL,
    correct         boolean,
    tutor           text               NOT NULL,
    created_at      timestamptz        NOT NULL,
    idempotency_key text,
    CONSTRAINT conversation_messages_pkey PRIMARY KEY (conversation_id, idx),
    CONSTRAINT conversation_messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
    CONSTRAINT conversation_messages_idempotency_key UNIQUE (conversation_id, idempotency_key, role)
);

-- +goose Down
DROP TABLE conversation_messages;
DROP TABLE conversations;
