-- How a question grades numeric answers: an absolute tolerance (in the
-- answer's unit), a relative one (0.05 is 5 %) and the unit of answers
-- written without one. Zero and '' ask for the exact value and no unit,
-- which is what every question asked before.

-- +goose Up
ALTER TABLE questions
    ADD COLUMN abs_tol double precision NOT NULL DEFAULT 0 CHECK (abs_tol >= 0),
    ADD COLUMN rel_tol double precision NOT NULL DEFAULT 0 CHECK (rel_tol >= 0 AND rel_tol <= 1),
    ADD COLUMN unit    text             NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE questions DROP COLUMN unit, DROP COLUMN rel_tol, DROP COLUMN abs_tol;
