-- Recall's first PostgreSQL schema.
--
-- Times are timestamptz (microsecond precision); the store truncates every
-- time to the microsecond before writing it and reads it back in UTC.
-- Identifiers use the "C" collation: they compare and sort byte by byte, as
-- Go strings do, whatever the database's locale.
-- Lists of IDs are text[]; a question's answers and choices are jsonb arrays
-- of strings, so that a whole batch of questions travels as one jsonb[]
-- parameter (PostgreSQL has no ragged text[][]).
-- Constraint names are spelled out: the store tells its conflicts apart by them.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'Recall needs a UTF8 database, not %', current_setting('server_encoding');
    END IF;
END
$$;
-- +goose StatementEnd

CREATE TABLE users (
    id            text COLLATE "C" NOT NULL,
    username      text COLLATE "C" NOT NULL,
    password_hash text             NOT NULL,
    created_at    timestamptz      NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE tokens (
    hash       bytea            NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    created_at timestamptz      NOT NULL,
    expires_at timestamptz      NOT NULL,
    CONSTRAINT tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX tokens_user_id ON tokens (user_id);

CREATE TABLE topics (
    id          text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    title       text             NOT NULL,
    description text             NOT NULL DEFAULT '',
    created_at  timestamptz      NOT NULL,
    updated_at  timestamptz      NOT NULL,
    CONSTRAINT topics_pkey PRIMARY KEY (id),
    CONSTRAINT topics_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX topics_user_id_updated_at ON topics (user_id, updated_at DESC, id);

CREATE TABLE questions (
    id          text COLLATE "C" NOT NULL,
    topic_id    text COLLATE "C" NOT NULL,
    position    integer          NOT NULL,
    prompt      text             NOT NULL,
    answers     jsonb            NOT NULL, -- array of strings
    choices     jsonb,                     -- array of strings, NULL when not multiple choice
    explanation text             NOT NULL DEFAULT '',
    hint        text             NOT NULL DEFAULT '',
    created_at  timestamptz      NOT NULL,
    updated_at  timestamptz      NOT NULL,
    CONSTRAINT questions_pkey PRIMARY KEY (id),
    CONSTRAINT questions_topic_id_fkey FOREIGN KEY (topic_id) REFERENCES topics (id) ON DELETE CASCADE,
    CONSTRAINT questions_topic_id_position_key UNIQUE (topic_id, position)
);

CREATE TABLE sessions (
    id           text COLLATE "C"   NOT NULL,
    user_id      text COLLATE "C"   NOT NULL,
    topic_id     text COLLATE "C"   NOT NULL,
    state        text               NOT NULL,
    question_ids text[] COLLATE "C" NOT NULL,
    current      integer            NOT NULL,
    answered     integer            NOT NULL,
    correct      integer            NOT NULL,
    skipped      integer            NOT NULL,
    turns        integer            NOT NULL,
    version      bigint             NOT NULL,
    created_at   timestamptz        NOT NULL,
    updated_at   timestamptz        NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT sessions_topic_id_fkey FOREIGN KEY (topic_id) REFERENCES topics (id) ON DELETE CASCADE
);

CREATE INDEX sessions_user_id_created_at ON sessions (user_id, created_at DESC, id);
CREATE INDEX sessions_topic_id_state ON sessions (topic_id, state);

CREATE TABLE turns (
    session_id      text COLLATE "C" NOT NULL,
    idx             integer          NOT NULL,
    kind            text             NOT NULL,
    message         text             NOT NULL,
    reply           text             NOT NULL,
    question_id     text COLLATE "C" NOT NULL DEFAULT '',
    correct         boolean,                   -- NULL for hints and summaries
    created_at      timestamptz      NOT NULL,
    idempotency_key text,                      -- NULL when the client sent none
    after           jsonb,                     -- the session as the turn left it
    CONSTRAINT turns_pkey PRIMARY KEY (session_id, idx),
    CONSTRAINT turns_session_id_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    CONSTRAINT turns_idempotency_key UNIQUE (session_id, idempotency_key)
);

-- +goose Down
DROP TABLE turns;
DROP TABLE sessions;
DROP TABLE questions;
DROP TABLE topics;
DROP TABLE tokens;
DROP TABLE users;
