//go:build tools

// This file pins the modules that the packages being written depend on, so
// that go.mod stays stable while several packages are built side by side.
package recall

import (
	_ "github.com/go-redis/redis_rate/v10"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/maypok86/otter/v2"
	_ "github.com/pressly/goose/v3"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/redis/rueidis"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/sync/singleflight"
	_ "golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"
)
