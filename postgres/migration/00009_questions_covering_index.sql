-- A topic's question IDs, in order, can come from the index alone: the
-- topic reads aggregate them per topic, and with the unique index on
-- (topic_id, position) holding no ID, each question's ID was a read of
-- the table's row. The unique constraint keeps its name and its rule and
-- now carries the ID as well (an index-only scan where the visibility
-- map allows it).

-- +goose Up
ALTER TABLE questions
    DROP CONSTRAINT questions_topic_id_position_key,
    ADD CONSTRAINT questions_topic_id_position_key UNIQUE (topic_id, position) INCLUDE (id);

-- +goose Down
ALTER TABLE questions
    DROP CONSTRAINT questions_topic_id_position_key,
    ADD CONSTRAINT questions_topic_id_position_key UNIQUE (topic_id, position);
