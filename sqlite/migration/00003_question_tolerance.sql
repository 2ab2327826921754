-- How a question grades numeric answers: an absolute tolerance (in the
-- answer's unit), a relative one (0.05 is 5 %) and the unit of answers
-- written without one. Zero and '' ask for the exact value and no unit,
-- which is what every question asked before.

-- +goose Up
ALTER TABLE questions ADD COLUMN abs_tol REAL NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN rel_tol REAL NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN unit    TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE questions DROP COLUMN unit;
ALTER TABLE questions DROP COLUMN rel_tol;
ALTER TABLE questions DROP COLUMN abs_tol;
