-- Spaced repetition: each user's memory state of each question (FSRS), the
-- days the user studied (for the daily streak), and the user's time zone
-- and FSRS parameters.

-- +goose Up
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN fsrs_weights TEXT; -- JSON array of numbers, NULL for the defaults

CREATE TABLE memories (
    user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id    TEXT    NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    topic_id       TEXT    NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    state          INTEGER NOT NULL,
    stability      REAL    NOT NULL,
    difficulty     REAL    NOT NULL,
    due            INTEGER NOT NULL,
    scheduled_days INTEGER NOT NULL,
    reps           INTEGER NOT NULL,
    lapses         INTEGER NOT NULL,
    first_review   INTEGER NOT NULL,
    last_review    INTEGER NOT NULL,
    PRIMARY KEY (user_id, question_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX memories_user_id_topic_id ON memories (user_id, topic_id);
CREATE INDEX memories_question_id ON memories (question_id);
CREATE INDEX memories_topic_id ON memories (topic_id);

CREATE TABLE study_days (
    user_id TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     INTEGER NOT NULL, -- days since 1970-01-01 in the user's time zone
    PRIMARY KEY (user_id, day)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE study_days;
DROP TABLE memories;
ALTER TABLE users DROP COLUMN fsrs_weights;
ALTER TABLE users DROP COLUMN time_zone;
