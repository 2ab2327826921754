// Package dbmigrate runs a store's versioned migrations with goose and logs
// what it applied: one line a migration, not one a statement.
package dbmigrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// Run applies to db, in goose's dialect, every pending migration of the
// directory dir of migrations (a store's embedded migration files), each in
// its own transaction, recording them in goose's table goose_db_version,
// and logs each one applied on logger. opts add to goose's provider options
// (a session locker, say). The error is untranslated: the store classifies
// it.
func Run(ctx context.Context, db *sql.DB, dialect goose.Dialect, migrations fs.FS, dir string, logger *slog.Logger, opts ...goose.ProviderOption) error {
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, sub, append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, opts...)...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return up(ctx, p, logger)
}

// up applies every pending migration of p and logs each one applied on
// logger. A failed migration's own error is returned unwrapped from goose's
// PartialError, so that callers can classify it.
func up(ctx context.Context, p *goose.Provider, logger *slog.Logger) error {
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil && !r.Empty && r.Source != nil {
			logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration.Round(1e3))
		}
	}
	if err != nil {
		var pe *goose.PartialError
		if errors.As(err, &pe) && pe.Err != nil {
			return pe.Err
		}
		return err
	}
	return nil
}

// Close returns the error of the store s, opened (which migrates it) to be
// closed at once, or else s's Close: what a store's package-level Migrate
// does, as Close(Open(ctx, url, opts)).
func Close[S io.Closer](s S, err error) error {
	if err != nil {
		return err
	}
	return s.Close()
}
