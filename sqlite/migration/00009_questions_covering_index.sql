-- A topic's question IDs, in order, come from an index alone: the topic
-- list (and every topic read) aggregates them per topic, and with only
-- (topic_id, position) indexed each question's ID was a lookup in the
-- table, one per question of the user's every topic. The unique index
-- stays: it is what keeps positions unique within a topic.

-- +goose Up
CREATE INDEX questions_topic_id_position_id ON questions (topic_id, position, id);

-- +goose Down
DROP INDEX questions_topic_id_position_id;
