// Package loadgen is Recall's load generator: it seeds a data set of users,
// topics and question banks, drives a mix of API operations from concurrent
// virtual users against a server (started in process once per cache mode,
// or an already running one), and reports throughput, latency percentiles,
// errors and the server's own database and Redis counters per operation, as
// a table, as JSON and as an SVG chart.
//
// A run of one mode with one instance count has five steps:
//
//  1. Start: a fresh database is made and seeded through the store (or, for
//     a target server, through the HTTP API), then the servers start: as
//     many as the instance count (Config.Instances), on the same database,
//     Redis and key prefix; the virtual users are spread over them
//     round-robin.
//  2. Warm-up: the virtual users run the mix for Config.Warmup; nothing is
//     recorded.
//  3. Memory: the resident size of the server (this process, or the
//     target's process_resident_memory_bytes) is read.
//  4. Mixed phase: the virtual users run the mix for Config.Duration; every
//     request's latency goes into the histogram of its operation.
//  5. Isolated phase: each operation alone, sequentially, over a few users
//     already primed by one unmeasured request each; the server's
//     recall_db_queries_total{kind="read"} and recall_redis_calls_total are
//     read from /metrics right before and after each measured request, so
//     db_reads_per_op and redis_calls_per_op are the server's own counts for
//     that operation, with nothing else running. With several instances the
//     requests go to each in turn and the counters of every instance are
//     summed.
//
// With Config.RedisCluster the benchmark starts a Redis Cluster of three
// masters of its own on free loopback ports (redisproc.LaunchCluster), runs the
// Redis modes on it, and stops it after.
//
// Nothing here is global: a Config carries everything, and the server is
// started by a StartFunc that the command supplies.
package loadgen

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Operation names, in report order.
const (
	OpDashboard    = "dashboard"
	OpTopics       = "topics"
	OpTopic        = "topic"
	OpSessionStart = "session_start"
	OpTurn         = "turn"
	OpWrite        = "write"
	OpLogin        = "login"
	// OpSessionStartDue starts a spaced-repetition session ("mode": "due");
	// a 409 nothing_due is a valid answer, not an error.
	OpSessionStartDue = "session_start_due"
	// OpConversationStart starts a conversation with the tutor on one of
	// the user's topics (POST /v1/conversations).
	OpConversationStart = "conversation_start"
	// OpMessage sends a message in the user's conversation with the
	// rule-based tutor (POST /v1/conversations/{id}/messages); a new
	// conversation, counted as a conversation_start, when it has none.
	OpMessage = "message"
)

// Ops lists every operation in report order.
func Ops() []string {
	return []string{OpDashboard, OpTopics, OpTopic, OpSessionStart, OpTurn, OpWrite, OpLogin, OpSessionStartDue,
		OpConversationStart, OpMessage}
}

// opIndex returns the position of op in Ops, or -1.
func opIndex(op string) int { return slices.Index(Ops(), op) }

// Mode names.
const (
	// ModeNone is the database alone: no cache of any kind.
	ModeNone = "none"
	// ModeRedis is the Redis caches without the near-cache.
	ModeRedis = "redis"
	// ModeNear is the Redis caches with the coherent in-process near-cache.
	ModeNear = "near"
	// ModeTarget is the one mode of a run against --target.
	ModeTarget = "target"
)

// DefaultMix is the default operation mix, in percent.
const DefaultMix = "dashboard=40,topics=15,topic=10,session_start=5,turn=25,write=4,login=1,session_start_due=5,conversation_start=1,message=5"

// DefaultModes are the modes run by default.
const DefaultModes = "none,redis,near"

// Mix is the weight of each operation, indexed like Ops. Weights are
// relative: they need not add up to 100.
type Mix [numOps]int

// numOps is len(Ops()).
const numOps = 10

// ParseMix reads "op=weight,op=weight,…". Every op must be one of Ops,
// at most once; weights are integers from 0 to 1,000,000; at least one
// weight must be positive. Operations left out get weight 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	total := 0
	if strings.TrimSpace(s) == "" {
		return m, errors.New("--mix is empty: want op=weight,…, e.g. " + DefaultMix)
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return m, fmt.Errorf("--mix item %q: want op=weight, e.g. dashboard=40", part)
		}
		name = strings.TrimSpace(name)
		i := opIndex(name)
		if i < 0 {
			return m, fmt.Errorf("--mix item %q: unknown operation %q (want one of %s)", part, name, strings.Join(Ops(), ", "))
		}
		if seen[name] {
			return m, fmt.Errorf("--mix: operation %q given twice", name)
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 || n > 1_000_000 {
			return m, fmt.Errorf("--mix item %q: weight must be a whole number from 0 to 1000000", part)
		}
		m[i] = n
		total += n
	}
	if total == 0 {
		return m, errors.New("--mix: every weight is 0; at least one operation needs a positive weight")
	}
	return m, nil
}

// String formats m the way ParseMix reads it, leaving out zero weights.
func (m Mix) String() string {
	var parts []string
	for i, op := range Ops() {
		if m[i] > 0 {
			parts = append(parts, op+"="+strconv.Itoa(m[i]))
		}
	}
	return strings.Join(parts, ",")
}

// total is the sum of the weights.
func (m Mix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

// positive is the number of operations with a positive weight.
func (m Mix) positive() int {
	n := 0
	for _, w := range m {
		if w > 0 {
			n++
		}
	}
	return n
}

// Allocate shares n virtual users among the operations: one for each
// operation with a positive weight, the rest in proportion to the weights
// (largest remainder first, ties to the earlier operation). It returns the
// number of virtual users per operation, indexed like Ops, or an error if n
// is smaller than the number of operations to run.
func (m Mix) Allocate(n int) ([numOps]int, error) {
	var out [numOps]int
	k := m.positive()
	if k == 0 {
		return out, errors.New("the mix has no positive weight")
	}
	if n < k {
		return out, fmt.Errorf("%d virtual users cannot run the %d operations of the mix: every operation needs one", n, k)
	}
	rest, total := n-k, m.total()
	type rem struct{ op, num int }
	var rems []rem
	given := 0
	for i, w := range m {
		if w == 0 {
			continue
		}
		share := rest * w
		out[i] = 1 + share/total
		given += share / total
		rems = append(rems, rem{i, share % total})
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return b.num - a.num })
	for i := 0; given < rest; i++ {
		out[rems[i%len(rems)].op]++
		given++
	}
	return out, nil
}

// ParseModes reads a comma-separated list of modes: none, redis, near.
// Each may appear once; order is kept.
func ParseModes(s string) ([]string, error) {
	var modes []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		switch part {
		case ModeNone, ModeRedis, ModeNear:
		case "":
			return nil, fmt.Errorf("--modes %q: empty mode name (want a list of none, redis, near)", s)
		default:
			return nil, fmt.Errorf("--modes: unknown mode %q (want none, redis or near)", part)
		}
		if slices.Contains(modes, part) {
			return nil, fmt.Errorf("--modes: mode %q given twice", part)
		}
		modes = append(modes, part)
	}
	return modes, nil
}

// MaxInstances is the largest instance count of a run.
const MaxInstances = 16

// ParseInstances reads a comma-separated list of instance counts, each from
// 1 to MaxInstances and given once; order is kept.
func ParseInstances(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("--instances %q: empty item (want a list of counts, e.g. 1,3)", s)
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 || n > MaxInstances {
			return nil, fmt.Errorf("--instances item %q: want a whole number from 1 to %d", part, MaxInstances)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("--instances: %d given twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// Mode is how one run configures the server it starts.
type Mode struct {
	// Name is none, redis or near.
	Name string
	// NoCache runs on the database alone (mode none).
	NoCache bool
	// Redis is the Redis URL (modes redis and near), empty otherwise.
	Redis string
	// RedisPrefix is this run's own key prefix, deleted after the run.
	RedisPrefix string
	// NearCache turns on the near-cache (mode near).
	NearCache bool
	// Refill turns on the refill after writes (serve's --refill) in the
	// cached modes, unless Config.NoRefill.
	Refill bool
}

// Config configures a benchmark.
type Config struct {
	// Modes are the modes to run, in order (ignored with Target).
	Modes []string
	// Instances are the numbers of servers to run each mode on, in order:
	// each (mode, count) is a run of its own. Empty means one instance.
	// Not with Target.
	Instances []int
	// Duration is the length of the measured mixed phase of each mode.
	Duration time.Duration
	// Warmup is the length of the unrecorded warm-up before it.
	Warmup time.Duration
	// Concurrency is the number of virtual users.
	Concurrency int
	// Users, Topics and Questions size the data set: Users users with
	// Topics topics each, Questions questions per topic.
	Users, Topics, Questions int
	// Mix weighs the operations.
	Mix Mix
	// Isolated is the number of measured requests per operation in the
	// isolated phase (0 means DefaultIsolated).
	Isolated int
	// Seed makes the workload's random choices repeatable.
	Seed int64
	// Rates are the loads of the open-loop phase that follows the isolated
	// one in every run, in order; none means no open-loop phase. Loads in
	// percent are of near's peak (near then runs first).
	Rates []Rate
	// RateDuration is the length of each open-loop load (0 means
	// DefaultRateDuration).
	RateDuration time.Duration

	// DB describes the primary database for the report (no password).
	DB string
	// DBLatency is the latency added to every database round trip: by a
	// toxiproxy in front of PostgreSQL, by the StartFunc's store wrapper
	// (Instance.WrapStore) for SQLite and Firestore.
	DBLatency time.Duration
	// Redis is the Redis URL of the redis and near modes; its keys under
	// each run's prefix are deleted after the run.
	Redis string
	// RedisCluster makes the benchmark start a Redis Cluster of three
	// masters of its own for the redis and near modes, and stop it after;
	// Redis must then be empty.
	RedisCluster bool
	// Target, when set, is the base URL of a running server to drive
	// instead of starting one; the data set is then seeded over HTTP.
	Target string
	// OpenStore opens the database to seed, and Start starts the server
	// of a mode (both required unless Target is set).
	OpenStore OpenStoreFunc
	Start     StartFunc
	// HashParams describes the password-hash parameters in force, for the
	// report.
	HashParams string
	// RateLimits describes the rate-limit policies in force, for the report.
	RateLimits []string
	// NoRefill runs the cached modes without the refill after writes
	// (serve's --refill=false; see Mode.Refill).
	NoRefill bool

	// Progress receives the live progress line; nil prints nothing.
	Progress io.Writer
	// Logger receives notes about the run (cleanup failures); nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. The phases run on
	// real time regardless: it only stamps the report.
	Now func() time.Time
}

// DefaultIsolated is the default number of measured requests per operation
// in the isolated phase.
const DefaultIsolated = 200

// Validate checks c.
func (c *Config) Validate() error {
	var errs []error
	if c.Target == "" {
		if len(c.Modes) == 0 {
			errs = append(errs, errors.New("no mode to run"))
		}
		if c.Start == nil || c.OpenStore == nil {
			errs = append(errs, errors.New("no StartFunc or OpenStoreFunc"))
		}
		redisModes := 0
		for _, m := range c.Modes {
			if m == ModeRedis || m == ModeNear {
				redisModes++
				if c.Redis == "" && !c.RedisCluster {
					errs = append(errs, fmt.Errorf("mode %s needs --redis", m))
				}
			}
		}
		if c.relativeRates() && !slices.Contains(c.Modes, ModeNear) {
			errs = append(errs, errors.New("--rate in percent is relative to near's peak: add near to --modes, or give requests per second"))
		}
		if c.RedisCluster && c.Redis != "" {
			errs = append(errs, errors.New("--redis and --redis-cluster exclude each other"))
		}
		if c.RedisCluster && redisModes == 0 {
			errs = append(errs, errors.New("--redis-cluster: no mode uses Redis (add redis or near to --modes)"))
		}
		seen := map[int]bool{}
		for _, n := range c.Instances {
			switch {
			case n < 1 || n > MaxInstances:
				errs = append(errs, fmt.Errorf("--instances: %d is not from 1 to %d", n, MaxInstances))
			case seen[n]:
				errs = append(errs, fmt.Errorf("--instances: %d given twice", n))
			case n > c.Concurrency:
				errs = append(errs, fmt.Errorf("--instances: %d instances need at least as many virtual users (--concurrency %d)", n, c.Concurrency))
			}
			seen[n] = true
		}
	} else {
		if len(c.Instances) > 0 && !slices.Equal(c.Instances, []int{1}) {
			errs = append(errs, errors.New("--instances does not apply with --target"))
		}
		if c.RedisCluster {
			errs = append(errs, errors.New("--redis-cluster does not apply with --target"))
		}
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("--duration must be positive"))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("--warmup must not be negative"))
	}
	if c.Concurrency < 1 || c.Concurrency > 10_000 {
		errs = append(errs, errors.New("--concurrency must be from 1 to 10000"))
	}
	if c.Users < 1 || c.Users > 10_000_000 {
		errs = append(errs, errors.New("--users must be from 1 to 10000000"))
	}
	if c.Topics < 1 || c.Topics > 1000 {
		errs = append(errs, errors.New("--topics must be from 1 to 1000"))
	}
	if c.Questions < 1 || c.Questions > 500 {
		errs = append(errs, errors.New("--questions must be from 1 to 500"))
	}
	if c.RateDuration < 0 {
		errs = append(errs, errors.New("--rate-duration must not be negative"))
	}
	if c.Isolated < 0 {
		errs = append(errs, errors.New("--isolated must not be negative"))
	}
	if c.Mix.total() <= 0 {
		errs = append(errs, errors.New("--mix has no positive weight"))
	}
	return errors.Join(errs...)
}
