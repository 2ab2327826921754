-- A topic keeps the stats of its completed sessions in its own row, so that
-- reading a topic costs the same whatever the length of its history. Two
-- triggers move them in the statement that writes the session, and so in
-- its transaction: a session created completed, and a session whose state
-- or counts change (a turn that completes it). A session leaves only with
-- its topic (ON DELETE CASCADE), so no trigger handles its deletion.

--
-- A page of a user's sessions in one state (GET /v1/sessions?state=) is
-- served by an index on (user_id, state, created_at, id), so it costs the
-- same wherever it starts; all states together use sessions_user_id_created_at.

-- +goose Up
CREATE INDEX sessions_user_id_state_created_at ON sessions (user_id, state, created_at DESC, id);

ALTER TABLE topics ADD COLUMN sessions_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN answers            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN correct            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN last_studied_at    INTEGER; -- NULL before any completed session

UPDATE topics SET (sessions_completed, answers, correct, last_studied_at) = (
    SELECT count(*), coalesce(sum(s.answered + s.skipped), 0), coalesce(sum(s.correct), 0), max(s.updated_at)
    FROM sessions s
    WHERE s.topic_id = topics.id AND s.state = 'completed'
);

-- +goose StatementBegin
CREATE TRIGGER sessions_topic_stats_insert AFTER INSERT ON sessions
WHEN NEW.state = 'completed'
BEGIN
    UPDATE topics SET
        sessions_completed = sessions_completed + 1,
        answers            = answers + NEW.answered + NEW.skipped,
        correct            = correct + NEW.correct,
        last_studied_at    = max(coalesce(last_studied_at, NEW.updated_at), NEW.updated_at)
    WHERE id = NEW.topic_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER sessions_topic_stats_update AFTER UPDATE OF state, answered, skipped, correct, updated_at ON sessions
WHEN OLD.state = 'completed' OR NEW.state = 'completed'
BEGIN
    UPDATE topics SET
        sessions_completed = sessions_completed + (NEW.state = 'completed') - (OLD.state = 'completed'),
        answers            = answers + iif(NEW.state = 'completed', NEW.answered + NEW.skipped, 0)
                                     - iif(OLD.state = 'completed', OLD.answered + OLD.skipped, 0),
        correct            = correct + iif(NEW.state = 'completed', NEW.correct, 0)
                                     - iif(OLD.state = 'completed', OLD.correct, 0),
        last_studied_at    = iif(NEW.state = 'completed',
                                 max(coalesce(last_studied_at, NEW.updated_at), NEW.updated_at),
                                 last_studied_at)
    WHERE id = NEW.topic_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP INDEX sessions_user_id_state_created_at;
DROP TRIGGER sessions_topic_stats_update;
DROP TRIGGER sessions_topic_stats_insert;
ALTER TABLE topics DROP COLUMN last_studied_at;
ALTER TABLE topics DROP COLUMN correct;
ALTER TABLE topics DROP COLUMN answers;
ALTER TABLE topics DROP COLUMN sessions_completed;
