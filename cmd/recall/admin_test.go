package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall/internal/server"
	"github.com/recallhq/recall/redis/redistest"
)

// TestAdminCommand grants and revokes the admin role with `recall admin`
// while a server runs on the same database (and Redis): on the embedded
// default, on SQLite with Redis, on PostgreSQL with Redis and on Firestore
// with Redis. With Redis the command drops the user's cached copy, so
// GET /v1/me shows the new role at once, though the server had the user
// cached; GET /v1/ops follows the role at once in every case.
func TestAdminCommand(t *testing.T) {
	cases := []struct {
		name  string
		redis bool
		db    func(t *testing.T) string
	}{
		{"SQLite", false, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "recall.db") }},
		{"SQLiteRedis", true, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "recall.db") }},
		{"PostgresRedis", true, func(t *testing.T) string { return soDatabase(t) }},
		{"FirestoreRedis", true, func(t *testing.T) string { return "firestore://" + fsProject(t, "recall-admin") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name != "SQLite" {
				t.Skip("needs Redis and a database server: skipped under -short")
			}
			cfg := defaultConfig(t, filepath.Join(t.TempDir(), "unused.db"))
			cfg.DB = c.db(t)
			args := []string{"--db", cfg.DB}
			if c.redis {
				cfg.Redis, cfg.RedisPrefix = redistest.SharedURL, redistest.Prefix(t)
				args = append(args, "--redis", cfg.Redis, "--redis-prefix", cfg.RedisPrefix)
			}
			srv := startServer(t, cfg, newClock())
			_, alice := srv.signUp(t, "alice", "password one")
			_, bob := srv.signUp(t, "bob", "password two")
			me := func(token string) userOut {
				t.Helper()
				var out struct{ User userOut }
				srv.do(apiCall{method: "GET", path: "/v1/me", token: token}).want(t, 200, &out)
				return out.User
			}
			if me(alice).Admin || me(bob).Admin {
				t.Fatal("a new user is an admin")
			}
			admin := func(want int, wantOut string, a ...string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				r := runCmd(ctx, nil, append([]string{"admin"}, append(a, args...)...)...)
				out := r.stdout
				if want != 0 {
					out = r.stderr
				}
				if r.code != want || !strings.Contains(out, wantOut) {
					t.Fatalf("recall admin %q: exit %d, want %d saying %q\nstdout: %s\nstderr: %s", a, r.code, want, wantOut, r.stdout, r.stderr)
				}
			}

			admin(0, "alice is now an admin", "grant", "Alice") // usernames are case-blind
			admin(0, "alice was already an admin", "grant", "alice")
			admin(1, `recall: no user "nobody"`, "grant", "nobody")
			admin(1, `recall: no user "nobody"`, "revoke", "nobody")
			if c.redis {
				if !me(alice).Admin {
					t.Error("after grant, GET /v1/me still says alice is no admin: her cached copy was not dropped")
				}
			}
			if me(bob).Admin {
				t.Error("granting alice made bob an admin")
			}
			stored := func(username string) bool {
				t.Helper()
				s, _, err := server.OpenStore(t.Context(), cfg.DB, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				u, _, err := s.UserByUsername(t.Context(), username)
				if err != nil {
					t.Fatal(err)
				}
				return u.Admin
			}
			if !stored("alice") || stored("bob") {
				t.Errorf("stored roles after grant: alice %v, bob %v", stored("alice"), stored("bob"))
			}
			// The operations API reads the role at every request, on every
			// store and with or without Redis.
			srv.do(apiCall{method: "GET", path: "/v1/ops", token: alice}).want(t, 200, nil)
			srv.do(apiCall{method: "GET", path: "/v1/ops", token: bob}).wantError(t, 403, "forbidden")

			admin(0, "alice is no longer an admin", "revoke", "alice")
			admin(0, "bob was not an admin", "revoke", "bob")
			if c.redis && me(alice).Admin {
				t.Error("after revoke, GET /v1/me still says alice is an admin")
			}
			if stored("alice") {
				t.Error("alice is still an admin in the database after revoke")
			}
			srv.do(apiCall{method: "GET", path: "/v1/ops", token: alice}).wantError(t, 403, "forbidden")
		})
	}
}
