-- A topic keeps the stats of its completed sessions in its own row, so that
-- reading a topic costs the same whatever the length of its history. A
-- trigger moves them in the statement that writes the session, and so in its
-- transaction: a session created completed, and a session whose state or
-- counts change (a turn that completes it). A session leaves only with its
-- topic (ON DELETE CASCADE), so the trigger does not handle its deletion.

--
-- A page of a user's sessions in one state (GET /v1/sessions?state=) is
-- served by an index on (user_id, state, created_at, id), so it costs the
-- same wherever it starts; all states together use sessions_user_id_created_at.

-- +goose Up
CREATE INDEX sessions_user_id_state_created_at ON sessions (user_id, state, created_at DESC, id);

ALTER TABLE topics
    ADD COLUMN sessions_completed bigint NOT NULL DEFAULT 0,
    ADD COLUMN answers            bigint NOT NULL DEFAULT 0,
    ADD COLUMN correct            bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_studied_at    timestamptz; -- NULL before any completed session

UPDATE topics t SET sessions_completed = st.n, answers = st.answers, correct = st.correct, last_studied_at = st.last
FROM (
    SELECT s.topic_id, count(*) AS n, sum(s.answered + s.skipped) AS answers, sum(s.correct) AS correct,
           max(s.updated_at) AS last
    FROM sessions s
    WHERE s.state = 'completed'
    GROUP BY s.topic_id
) st
WHERE st.topic_id = t.id;

-- +goose StatementBegin
CREATE FUNCTION sessions_topic_stats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP = 'UPDATE' AND OLD.state = 'completed';
    now_completed boolean := NEW.state = 'completed';
BEGIN
    IF was OR now_completed THEN
        UPDATE topics SET
            sessions_completed = sessions_completed + now_completed::int - was::int,
            answers = answers + CASE WHEN now_completed THEN NEW.answered + NEW.skipped ELSE 0 END
                              - CASE WHEN was THEN OLD.answered + OLD.skipped ELSE 0 END,
            correct = correct + CASE WHEN now_completed THEN NEW.correct ELSE 0 END
                              - CASE WHEN was THEN OLD.correct ELSE 0 END,
            last_studied_at = CASE WHEN now_completed THEN greatest(last_studied_at, NEW.updated_at)
                                   ELSE last_studied_at END
        WHERE id = NEW.topic_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_topic_stats AFTER INSERT OR UPDATE OF state, answered, skipped, correct, updated_at ON sessions
FOR EACH ROW EXECUTE FUNCTION sessions_topic_stats();

-- +goose Down
DROP INDEX sessions_user_id_state_created_at;
DROP TRIGGER sessions_topic_stats ON sessions;
DROP FUNCTION sessions_topic_stats();
ALTER TABLE topics
    DROP COLUMN last_studied_at,
    DROP COLUMN correct,
    DROP COLUMN answers,
    DROP COLUMN sessions_completed;
