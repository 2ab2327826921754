// Package dbmigrate runs a store's versioned migrations with goose and logs
// what it applied: one line a migration, not one a statement.
package dbmigrate

import (
	"context"
	"errors"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// Up applies every pending migration of p and logs each one applied on
// logger. A failed migration's own error is returned unwrapped from goose's
// PartialError, so that callers can classify it.
func Up(ctx context.Context, p *goose.Provider, logger *slog.Logger) error {
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
