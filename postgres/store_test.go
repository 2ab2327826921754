package postgres_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/storetest"
)

// The tests need a PostgreSQL server. TestMain creates a database of their
// own on it and drops it when they end; each test then works in a schema of
// its own in that database (the store's URL sets search_path).
const (
	// adminURLEnv overrides defaultAdminURL: a URL of a role that may
	// create databases.
	adminURLEnv     = "RECALL_TEST_POSTGRES_URL"
	defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	// dbURLEnv is how TestMain hands the URL of the database it created to
	// the tests.
	dbURLEnv = "RECALL_TEST_POSTGRES_DB_URL"
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // no database: testDB and freshDatabase skip
	}
	admin := adminURL()
	name := "recall_test_postgres_" + recall.NewID()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, admin, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the postgres tests need a PostgreSQL server: %v\n"+
			"(they use %s, which %s overrides; CI starts the server)\n", err, postgres.RedactURL(admin), adminURLEnv)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, admin, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "postgres tests: drop database %s: %v\n", name, err)
		}
	}()
	if err := os.Setenv(dbURLEnv, withDatabase(admin, name)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// skipShort skips tb under -short, which runs without services.
func skipShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs PostgreSQL: skipped under -short")
	}
}

// adminURL returns the URL the tests create their database with.
func adminURL() string {
	if u := os.Getenv(adminURLEnv); u != "" {
		return u
	}
	return defaultAdminURL
}

// adminExec runs one statement on a connection of its own.
func adminExec(ctx context.Context, dbURL, sql string) error {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dbURL naming database name instead.
func withDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(fmt.Sprintf("%s is not a URL: %v", adminURLEnv, err))
	}
	u.Path = "/" + name
	return u.String()
}

// withParams returns dbURL with query parameters set (key, value, ...).
func withParams(dbURL string, kv ...string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// testDB returns the URL of the database TestMain created.
func testDB(tb testing.TB) string {
	tb.Helper()
	skipShort(tb)
	u := os.Getenv(dbURLEnv)
	if u == "" {
		tb.Fatalf("%s is not set: TestMain did not create the test database", dbURLEnv)
	}
	return u
}

// newSchema creates an empty schema in the test database, drops it when
// the test ends, and returns a URL whose search_path is that schema.
func newSchema(tb testing.TB) string {
	tb.Helper()
	base := testDB(tb)
	schema := "t_" + recall.NewID()
	if err := adminExec(tb.Context(), base, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, base, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParams(base, "search_path", schema)
}

// open opens a store on a new, empty schema and closes it when the test
// ends. It returns the store's URL too.
func open(tb testing.TB, opts postgres.Options) (*postgres.Store, string) {
	tb.Helper()
	u := newSchema(tb)
	s, err := postgres.Open(tb.Context(), u, opts)
	return storetest.Opened(tb, s, err), u
}

// opener is the storetest.Opener of PostgreSQL: a database is a URL whose
// search_path is a new schema of the test database. A second store on it
// has a pool of its own, like a second instance.
func opener(tb testing.TB, u string, m *metrics.Metrics) (recall.Store, string) {
	tb.Helper()
	if u == "" {
		u = newSchema(tb)
	}
	s, err := postgres.Open(tb.Context(), u, postgres.Options{Metrics: m})
	return storetest.Opened(tb, s, err), u
}

// rawConn connects to dbURL with the driver directly, to look behind the
// store.
func rawConn(tb testing.TB, dbURL string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestStore(t *testing.T) { storetest.Run(t, storetest.Opener(opener).New) }

// TestSlow puts the server an hour away once the store is open: a
// toxiproxy between them holds every byte the store sends for an hour, so
// only the caller's cancellation can end a call, on the wire.
func TestSlow(t *testing.T) {
	storetest.RunSlow(t, func(t *testing.T) recall.Store {
		u, err := url.Parse(newSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
		p := toxiproxy.NewProxy(srv, "postgres", "127.0.0.1:0", u.Host)
		if err := p.Start(); err != nil {
			t.Fatalf("toxiproxy: %v", err)
		}
		u.Host = p.Listen
		s, err := postgres.Open(t.Context(), u.String(), postgres.Options{})
		if err != nil {
			p.Stop()
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		// Stopped before the store closes: closing through the toxic,
		// pgx would wait out its 15 s bound on each stuck connection.
		t.Cleanup(p.Stop)
		// Added once Open's ping and migrations are through; it applies to
		// the connections already open too.
		hour := `{"name":"hour","type":"latency","stream":"upstream","toxicity":1,"attributes":{"latency":3600000}}`
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(hour)); err != nil {
			t.Fatalf("toxic: %v", err)
		}
		return s
	})
}

// TestTwoStores runs writers on two stores (two pools, like two instances)
// on one schema: every append must land whole at the end of the bank, and
// none may fail on a position that a concurrent append took.
func TestTwoStores(t *testing.T) { storetest.RunTwoStores(t, storetest.Opener(opener).Two) }

// TestDueStart: a hot due start, through the caches, reads nothing from
// this store.
func TestDueStart(t *testing.T) { storetest.RunDueStart(t, storetest.Opener(opener).Metered) }

// TestMetrics pins down what each method costs in statements.
func TestMetrics(t *testing.T) {
	storetest.RunMetrics(t, storetest.Opener(opener).Metered, []storetest.Cost{
		storetest.Writes("CreateUser", 2),
		storetest.Writes("CreateTopic", 2),
		storetest.Writes("AddQuestions", 4), // the topic's update and one insert per call, however many questions
		storetest.Reads("Topics", 3),        // one statement per call
		storetest.Reads("Topic", 1),
		storetest.Reads("Questions", 1),
		storetest.Reads("UserByUsername", 1),
		storetest.Writes("UpdateTopic", 1),    // the update returns the topic
		storetest.Writes("UpdateQuestion", 3), // the topic's update, the question read, its update
		storetest.Writes("CreateSession", 2),
		storetest.Writes("SaveTurn", 8), // the turn and the session, for each of the 4 turns, the refused one too
		storetest.Reads("SaveTurn", 0),  // no read
		storetest.Reads("Session", 1),   // keys included
		storetest.Reads("Turns", 1),
		storetest.Reads("Turn", 1),
		storetest.Reads("Ping", 1),
	})
}

// wantCode fails the test now unless err carries code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := recall.ErrorCode(err); got != code {
		tb.Fatalf("%s = %v (code %q), want code %q", what, err, got, code)
	}
}

// wantUnavailable fails the test unless err is EUNAVAILABLE with the
// store's message.
func wantUnavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	wantCode(tb, what, err, recall.EUNAVAILABLE)
	if msg := recall.ErrorMessage(err); msg != "The database is unavailable." {
		tb.Errorf("%s: message %q", what, msg)
	}
}

// closedPort returns a local TCP port that nothing listens on.
func closedPort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestOpen(t *testing.T) {
	t.Run("ErrUnreachable", func(t *testing.T) {
		u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", closedPort(t))
		_, err := postgres.Open(t.Context(), u, postgres.Options{})
		wantUnavailable(t, "Open(closed port)", err)
		wantUnavailable(t, "Migrate(closed port)", postgres.Migrate(t.Context(), u, postgres.Options{}))
	})
	t.Run("ErrNoSuchDatabase", func(t *testing.T) {
		u := withDatabase(testDB(t), "recall_no_such_database_"+recall.NewID())
		_, err := postgres.Open(t.Context(), u, postgres.Options{})
		wantUnavailable(t, "Open(no such database)", err)
	})
	t.Run("ErrInvalidURL", func(t *testing.T) {
		for _, u := range []string{"postgres://postgres@127.0.0.1:notaport/db", "postgres://%zz", "host=127.0.0.1 sslmode=nonsense"} {
			_, err := postgres.Open(t.Context(), u, postgres.Options{})
			wantCode(t, fmt.Sprintf("Open(%q)", u), err, recall.EINVALID)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := postgres.Open(ctx, newSchema(t), postgres.Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Open(cancelled) = %v, want context.Canceled", err)
		}
	})
}

// versions returns the migrations goose recorded in the first schema of
// dbURL's search path.
func versions(tb testing.TB, dbURL string) []int64 {
	tb.Helper()
	rows, err := rawConn(tb, dbURL).Query(tb.Context(), `SELECT version_id FROM goose_db_version ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	return vs
}

// migrationVersions returns goose's version 0 and the version of every
// file in migration/, in order: what a migrated schema records.
func migrationVersions(tb testing.TB) []int64 {
	tb.Helper()
	entries, err := os.ReadDir("migration")
	if err != nil {
		tb.Fatal(err)
	}
	list := []int64{0}
	for _, e := range entries {
		v, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			tb.Fatalf("migration %s: %v", e.Name(), err)
		}
		list = append(list, v)
	}
	slices.Sort(list)
	return list
}

func TestMigrate(t *testing.T) {
	t.Run("OKTwiceIsNoop", func(t *testing.T) {
		s, u := open(t, postgres.Options{})
		user, topic, _ := storetest.Seed(t, s, "alice", 0)
		before := versions(t, u)
		if len(before) < 2 { // goose's version 0 and at least our first
			t.Fatalf("goose_db_version = %v, want version 0 and the migrations", before)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		if err := postgres.Migrate(t.Context(), u, postgres.Options{}); err != nil {
			t.Fatalf("postgres.Migrate on a migrated schema: %v", err)
		}
		if after := versions(t, u); !slices.Equal(after, before) {
			t.Errorf("goose_db_version = %v after migrating again, want %v", after, before)
		}
		if _, err := s.Topic(t.Context(), user.ID, topic.ID); err != nil {
			t.Errorf("Topic after migrating again: %v", err)
		}
	})
	t.Run("OKStandalone", func(t *testing.T) {
		u := newSchema(t)
		if err := postgres.Migrate(t.Context(), u, postgres.Options{}); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		var n int
		if err := rawConn(t, u).QueryRow(t.Context(),
			`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()
			 AND table_name IN ('users', 'tokens', 'topics', 'questions', 'sessions', 'turns')`,
		).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 6 {
			t.Errorf("%d of the 6 tables exist after Migrate", n)
		}
	})
	t.Run("OKConcurrentOnFreshDatabase", func(t *testing.T) {
		// Instances that start together all migrate: the advisory lock
		// makes them take turns, and all but the first find nothing to do.
		u := freshDatabase(t)
		const migrators = 4
		errs := make([]error, migrators)
		var ready, done sync.WaitGroup
		ready.Add(migrators)
		start := make(chan struct{})
		for i := range migrators {
			done.Go(func() {
				ready.Done()
				<-start
				errs[i] = postgres.Migrate(t.Context(), u, postgres.Options{})
			})
		}
		ready.Wait()
		close(start)
		done.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("migrator %d: %v", i, err)
			}
		}
		if got, want := versions(t, u), migrationVersions(t); !slices.Equal(got, want) {
			t.Errorf("goose_db_version = %v, want %v", got, want)
		}
		s, err := postgres.Open(t.Context(), u, postgres.Options{})
		if err != nil {
			t.Fatalf("Open after the migrators: %v", err)
		}
		defer s.Close()
		storetest.Seed(t, s, "alice", 0)
	})
	t.Run("OKWaitsForTheLock", func(t *testing.T) {
		// While another session holds the migration lock, a migrator waits
		// and applies nothing; once the lock is released it migrates.
		u := freshDatabase(t)
		holder := rawConn(t, u)
		if _, err := holder.Exec(t.Context(), `SELECT pg_advisory_lock($1)`, postgres.MigrationLockID); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- postgres.Migrate(t.Context(), u, postgres.Options{}) }()

		// Wait (as long as the test may run) until the migrator queues for
		// the lock.
		for waiting := false; !waiting; {
			select {
			case err := <-errc:
				t.Fatalf("Migrate returned while another session held the lock: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
			if err := holder.QueryRow(t.Context(),
				`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
				 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
			).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
		}
		// (goose makes its own version table before it takes the lock.)
		var untouched bool
		if err := holder.QueryRow(t.Context(), `SELECT to_regclass('users') IS NULL`).Scan(&untouched); err != nil {
			t.Fatal(err)
		}
		if !untouched {
			t.Error("the waiting migrator applied a migration")
		}
		if _, err := holder.Exec(t.Context(), `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockID); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("Migrate after the lock was released: %v", err)
		}
		if got, want := versions(t, u), migrationVersions(t); !slices.Equal(got, want) {
			t.Errorf("goose_db_version = %v, want %v", got, want)
		}
	})
}

// freshDatabase creates an empty database, drops it when the test ends and
// returns its URL.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	skipShort(tb)
	admin := adminURL()
	name := "recall_test_postgres_" + recall.NewID()
	if err := adminExec(tb.Context(), admin, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, admin, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// proxy forwards TCP connections to a target, and can be stopped and
// started again on the same address: a database that goes away and comes
// back, as far as the store can tell.
type proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy starts a proxy to target on a free local port and stops it
// when the test ends.
func startProxy(tb testing.TB, target string) *proxy {
	tb.Helper()
	p := &proxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.start(tb)
	tb.Cleanup(p.stop)
	return p
}

// start listens on the proxy's address (the same one after a stop).
func (p *proxy) start(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
}

// track remembers c so that stop can close it; it reports false (and
// closes c) if the proxy is stopped.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	d, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(d) {
		c.Close()
		return
	}
	var both sync.WaitGroup
	both.Go(func() { io.Copy(d, c); d.Close(); c.Close() })
	both.Go(func() { io.Copy(c, d); d.Close(); c.Close() })
	both.Wait()
}

// stop closes the listener and every forwarded connection, and waits for
// the proxy's goroutines to end.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func TestUnavailable(t *testing.T) {
	t.Run("OKRecoversAfterOutage", func(t *testing.T) {
		ctx := t.Context()
		direct := newSchema(t)
		du, err := url.Parse(direct)
		if err != nil {
			t.Fatal(err)
		}
		target := du.Host
		if du.Port() == "" {
			target = net.JoinHostPort(du.Hostname(), "5432")
		}
		p := startProxy(t, target)
		du.Host = p.addr
		const maxConns = 2
		via := withParams(du.String(), "pool_max_conns", fmt.Sprint(maxConns), "connect_timeout", "2")
		s, err := postgres.Open(ctx, via, postgres.Options{})
		if err != nil {
			t.Fatalf("Open through the proxy: %v", err)
		}
		defer s.Close()
		u, topic, _ := storetest.Seed(t, s, "alice", 0)
		qs := storetest.NewQuestions(topic.ID, 2)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			t.Fatal(err)
		}
		sess := storetest.NewSession(t, s, u, topic, qs)

		// The database goes away: the pool's connections break and new ones
		// are refused.
		p.stop()
		wantUnavailable(t, "Ping", s.Ping(ctx))
		_, err = s.Topics(ctx, u.ID)
		wantUnavailable(t, "Topics", err)
		_, err = s.UserByID(ctx, u.ID)
		wantUnavailable(t, "UserByID", err)
		n, turn := storetest.NextTurn(sess)
		wantUnavailable(t, "SaveTurn", s.SaveTurn(ctx, n, turn))
		wantUnavailable(t, "CreateTopic", s.CreateTopic(ctx, &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "T"}))
		wantUnavailable(t, "AddQuestions", s.AddQuestions(ctx, u.ID, topic.ID, storetest.NewQuestions(topic.ID, 1)))

		// It comes back: the store reconnects on its own. A connection
		// broken during the outage fails once and is dropped, so with at
		// most maxConns of them a Ping succeeds by the try after.
		p.start(t)
		err = errors.New("no Ping yet")
		for i := 0; i <= maxConns && err != nil; i++ {
			if err = s.Ping(ctx); err != nil {
				wantUnavailable(t, "Ping after the outage", err)
			}
		}
		if err != nil {
			t.Fatalf("Ping after the outage: %v", err)
		}
		if err := s.SaveTurn(ctx, n, turn); err != nil {
			t.Fatalf("SaveTurn after the outage: %v", err)
		}
		got, err := s.Session(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != n.Version {
			t.Errorf("Version = %d after the outage, want %d", got.Version, n.Version)
		}
		topics, err := s.Topics(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(topics) != 1 || len(topics[0].QuestionIDs) != 2 {
			t.Errorf("Topics after the outage: %d topics, want 1 with 2 questions (nothing written during it)", len(topics))
		}
	})
}

func TestBadText(t *testing.T) {
	// PostgreSQL text holds neither NUL nor invalid UTF-8: writing them is
	// EINVALID (never an internal error), and looking something up by them
	// finds nothing.
	const nul, bad = "nul\x00here", "bad\xffutf8"
	t.Run("ErrInvalidWrites", func(t *testing.T) {
		s, _ := open(t, postgres.Options{})
		ctx := t.Context()
		u, topic, _ := storetest.Seed(t, s, "alice", 0)
		now := time.Now()
		err := s.CreateTopic(ctx, &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: nul, CreatedAt: now, UpdatedAt: now})
		wantCode(t, "CreateTopic(NUL title)", err, recall.EINVALID)
		title := bad
		_, err = s.UpdateTopic(ctx, u.ID, topic.ID, recall.TopicInput{Title: &title}, now)
		wantCode(t, "UpdateTopic(bad UTF-8 title)", err, recall.EINVALID)

		qs := storetest.NewQuestions(topic.ID, 3)
		qs[2].Answers = []string{nul}
		wantCode(t, "AddQuestions(NUL answer)", s.AddQuestions(ctx, u.ID, topic.ID, qs), recall.EINVALID)
		qs = storetest.NewQuestions(topic.ID, 3)
		qs[1].Prompt = nul
		wantCode(t, "AddQuestions(NUL prompt)", s.AddQuestions(ctx, u.ID, topic.ID, qs), recall.EINVALID)

		qs = storetest.NewQuestions(topic.ID, 1)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			t.Fatal(err)
		}
		hint := nul
		_, err = s.UpdateQuestion(ctx, u.ID, topic.ID, qs[0].ID, recall.QuestionInput{Hint: &hint}, now)
		wantCode(t, "UpdateQuestion(NUL hint)", err, recall.EINVALID)

		sess := storetest.NewSession(t, s, u, topic, qs)
		n, turn := storetest.NextTurn(sess)
		turn.Message = nul
		wantCode(t, "SaveTurn(NUL message)", s.SaveTurn(ctx, n, turn), recall.EINVALID)

		// Nothing of them was stored.
		got, err := s.Topics(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Title != topic.Title || !slices.Equal(got[0].QuestionIDs, []string{qs[0].ID}) {
			t.Errorf("Topics = %d topics, first %q with %q", len(got), got[0].Title, got[0].QuestionIDs)
		}
		gs, err := s.Session(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gs.Version != sess.Version {
			t.Errorf("session version %d after the refused turn, want %d", gs.Version, sess.Version)
		}
	})
	t.Run("OKLookupsFindNothing", func(t *testing.T) {
		s, _ := open(t, postgres.Options{})
		ctx := t.Context()
		u, topic, _ := storetest.Seed(t, s, "alice", 0)
		qs := storetest.NewQuestions(topic.ID, 1)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			t.Fatal(err)
		}
		sess := storetest.NewSession(t, s, u, topic, qs)
		now := time.Now()
		title := "New"
		for _, key := range []string{nul, bad} {
			_, _, err := s.UserByUsername(ctx, key)
			wantCode(t, "UserByUsername", err, recall.ENOTFOUND)
			_, err = s.UserByID(ctx, key)
			wantCode(t, "UserByID", err, recall.ENOTFOUND)
			_, err = s.Topic(ctx, u.ID, key)
			wantCode(t, "Topic", err, recall.ENOTFOUND)
			_, err = s.UpdateTopic(ctx, u.ID, key, recall.TopicInput{Title: &title}, now)
			wantCode(t, "UpdateTopic", err, recall.ENOTFOUND)
			wantCode(t, "DeleteTopic", s.DeleteTopic(ctx, key, topic.ID), recall.ENOTFOUND)
			wantCode(t, "AddQuestions", s.AddQuestions(ctx, u.ID, key, storetest.NewQuestions(key, 1)), recall.ENOTFOUND)
			_, err = s.UpdateQuestion(ctx, u.ID, topic.ID, key, recall.QuestionInput{Prompt: &title}, now)
			wantCode(t, "UpdateQuestion", err, recall.ENOTFOUND)
			wantCode(t, "DeleteQuestion", s.DeleteQuestion(ctx, u.ID, key, qs[0].ID, now), recall.ENOTFOUND)
			_, err = s.Session(ctx, key)
			wantCode(t, "Session", err, recall.ENOTFOUND)
			_, err = s.Turn(ctx, key, 0)
			wantCode(t, "Turn", err, recall.ENOTFOUND)
			if got, err := s.Questions(ctx, u.ID, key); err != nil || len(got) != 0 {
				t.Errorf("Questions = %d, %v; want none", len(got), err)
			}
			if got, err := s.Turns(ctx, key); err != nil || len(got) != 0 {
				t.Errorf("Turns = %d, %v; want none", len(got), err)
			}
			if got, err := s.Sessions(ctx, key, recall.SessionPage{Limit: 10}); err != nil || len(got) != 0 {
				t.Errorf("Sessions = %d, %v; want none", len(got), err)
			}
			if got, err := s.Topics(ctx, key); err != nil || len(got) != 0 {
				t.Errorf("Topics = %d, %v; want none", len(got), err)
			}
		}
		for _, index := range []int{1 << 40, -1 << 40} {
			_, err := s.Turn(ctx, sess.ID, index)
			wantCode(t, fmt.Sprintf("Turn(%d)", index), err, recall.ENOTFOUND)
		}
	})
}
