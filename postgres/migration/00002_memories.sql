-- Spaced repetition: each user's memory state of each question (FSRS), the
-- days the user studied (for the daily streak), and the user's time zone
-- and FSRS parameters.

-- +goose Up
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN fsrs_weights double precision[]; -- NULL for the defaults

CREATE TABLE memories (
    user_id        text COLLATE "C" NOT NULL,
    question_id    text COLLATE "C" NOT NULL,
    topic_id       text COLLATE "C" NOT NULL,
    state          smallint         NOT NULL,
    stability      double precision NOT NULL,
    difficulty     double precision NOT NULL,
    due            timestamptz      NOT NULL,
    scheduled_days integer          NOT NULL,
    reps           integer          NOT NULL,
    lapses         integer          NOT NULL,
    first_review   timestamptz      NOT NULL,
    last_review    timestamptz      NOT NULL,
    CONSTRAINT memories_pkey PRIMARY KEY (user_id, question_id),
    CONSTRAINT memories_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT memories_question_id_fkey FOREIGN KEY (question_id) REFERENCES questions (id) ON DELETE CASCADE,
    CONSTRAINT memories_topic_id_fkey FOREIGN KEY (topic_id) REFERENCES topics (id) ON DELETE CASCADE
);

CREATE INDEX memories_user_id_topic_id ON memories (user_id, topic_id);
CREATE INDEX memories_question_id ON memories (question_id);
CREATE INDEX memories_topic_id ON memories (topic_id);

CREATE TABLE study_days (
    user_id text COLLATE "C" NOT NULL,
    day     integer          NOT NULL, -- days since 1970-01-01 in the user's time zone
    CONSTRAINT study_days_pkey PRIMARY KEY (user_id, day),
    CONSTRAINT study_days_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE study_days;
DROP TABLE memories;
ALTER TABLE users DROP COLUMN fsrs_weights;
ALTER TABLE users DROP COLUMN time_zone;
