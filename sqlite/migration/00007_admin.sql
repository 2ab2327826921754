-- A user may hold the admin role, which opens the operations page. It is
-- granted and revoked from the command line (recall admin grant|revoke);
-- every existing user starts without it.

-- +goose Up
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));

-- +goose Down
ALTER TABLE users DROP COLUMN admin;
