package main

// Redis's own count of what each hot path costs it: INFO commandstats
// before and after one request, on a redis-server of the test's own (INFO
// commandstats counts every client of a server, and the shared Redis has
// other users), the server under its own key prefix.

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/redis/redistest"
)

// cmdStat is one line of INFO commandstats.
type cmdStat struct {
	calls float64
	usec  float64
}

// commandStats reads INFO commandstats: calls and microseconds by command.
func commandStats(tb testing.TB, rc rueidis.Client) map[string]cmdStat {
	tb.Helper()
	s, err := rc.Do(context.Background(), rc.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		tb.Fatalf("INFO commandstats: %v", err)
	}
	out := map[string]cmdStat{}
	for line := range strings.SplitSeq(s, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		var st cmdStat
		for field := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(field, "=")
			f, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				st.calls = f
			case "usec":
				st.usec = f
			}
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = st
	}
	return out
}

// scriptCommands returns how many commands the slow log (which logs every
// command here: slowlog-log-slower-than 0) shows run from inside a Lua
// script since the last SLOWLOG RESET (the client address of those is
// "?:0"), and resets it. INFO commandstats counts those too; they are no
// round trip.
func scriptCommands(tb testing.TB, rc rueidis.Client) float64 {
	tb.Helper()
	ctx := context.Background()
	entries, err := rc.Do(ctx, rc.B().SlowlogGet().Count(-1).Build()).ToArray()
	if err != nil {
		tb.Fatalf("SLOWLOG GET: %v", err)
	}
	n := 0.0
	for _, e := range entries {
		fields, err := e.ToArray()
		if err != nil || len(fields) < 5 {
			tb.Fatalf("SLOWLOG entry %v: %v", e, err)
		}
		if addr, _ := fields[4].ToString(); addr == "?:0" {
			n++
		}
	}
	if err := rc.Do(ctx, rc.B().SlowlogReset().Build()).Error(); err != nil {
		tb.Fatalf("SLOWLOG RESET: %v", err)
	}
	return n
}

// rtRedisCost is what one request cost Redis.
type rtRedisCost struct {
	roundTrips float64            // commands the server sent
	commands   map[string]float64 // every command Redis ran, scripts' included
	scriptUsec map[string]float64 // µs of each script command (evalsha, eval)
}

func (c rtRedisCost) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.commands)) {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, c.commands[k]))
	}
	return fmt.Sprintf("%.0f round trips; commands: %s; script µs %v", c.roundTrips, strings.Join(parts, ", "), c.scriptUsec)
}

// testOwn reports whether a command is the test's own reading of the
// counters.
func testOwn(cmd string) bool {
	return cmd == "info" || strings.HasPrefix(cmd, "slowlog")
}

// measureRedis runs step between two readings of INFO commandstats, tries
// times, and returns the cheapest try: what the server sent Redis for the
// step, in commands (the commandstats deltas less the commands run inside
// scripts and the test's own), which are its round trips. A try can only
// cost more than the step alone (a rate limiter heartbeat or a connection
// ping falling in it), never less.
func measureRedis(tb testing.TB, rc rueidis.Client, tries int, step func()) rtRedisCost {
	tb.Helper()
	var best rtRedisCost
	for i := range tries {
		scriptCommands(tb, rc)
		before := commandStats(tb, rc)
		step()
		after := commandStats(tb, rc)
		inScripts := scriptCommands(tb, rc)
		c := rtRedisCost{commands: map[string]float64{}, scriptUsec: map[string]float64{}}
		for cmd, a := range after {
			d := a.calls - before[cmd].calls
			if d == 0 || testOwn(cmd) {
				continue
			}
			c.commands[cmd] = d
			c.roundTrips += d
			if cmd == "evalsha" || cmd == "eval" {
				c.scriptUsec[cmd] = (a.usec - before[cmd].usec) / d
			}
		}
		c.roundTrips -= inScripts
		if i == 0 || c.roundTrips < best.roundTrips {
			best = c
		}
	}
	return best
}

// TestRedisRoundTripsCommandstats measures, from Redis's INFO
// commandstats, the round trips of each cached hot path, in both Redis
// shapes, and fails when a path makes another number than recorded. The
// cached reads reach the goal (one round trip), and so does a hint turn
// with the near-cache (the gate, which reads the session, and the session's
// write). Without the near-cache a turn, hint or answer, is 2 as well: the
// gate also reads the bank, which lives in the user's slot
// (questions:{<user>}:<topic>), of the topic this instance knows the
// session to study; an answered turn with the near-cache pipelines a PTTL
// after its write script so that its invalidation pushes are handled
// before it returns (3 commands in 2 round trips). want is what the code
// does, goal the target, and the log shows both.
func TestRedisRoundTripsCommandstats(t *testing.T) {
	rs := redistest.StartServer(t)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{rs.Addr}, DisableCache: true, ClientName: "roundtrip-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := context.Background()
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "0"}, {"slowlog-max-len", "10000"}} {
		if err := rc.Do(ctx, rc.B().ConfigSet().ParameterValue().ParameterValue(kv[0], kv[1]).Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	// want: the round trips each path makes today (the recorded
	// baseline), goal: the target. Without the near-cache, one script
	// (redis.Gate) checks the token, decides the rate limits and reads the
	// topic list and the memory states behind the learning stats; with it,
	// those reads are local and the limiter's script is the one round trip.
	type path struct {
		name       string
		want, goal float64
	}
	targets := map[bool][]path{
		false: {{"dashboard", 1, 1}, {"topics", 1, 1}, {"topic", 1, 1}, {"turn", 2, 2}, {"answer", 2, 2}},
		true:  {{"dashboard", 1, 1}, {"topics", 1, 1}, {"topic", 1, 1}, {"turn", 2, 2}, {"answer", 3, 2}},
	}
	for _, mode := range rtModes() {
		t.Run(mode.name, func(t *testing.T) {
			prefix := "rtstats:" + strings.ToLower(mode.name) + ":"
			srv := startServer(t, rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), rs.URL, prefix, mode.near), newClock())
			_, tok := srv.signUp(t, "alice", "alice-password")
			topic := srv.createTopic(t, tok, "Capitals", "")
			srv.createTopic(t, tok, "Rivers", "")
			srv.addQuestions(t, tok, topic.ID, rtBank(20)...)
			sess := srv.startSession(t, tok, topic.ID, 20)
			n := 0
			steps := map[string]func(){
				"dashboard": func() {
					srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: tok}).want(t, 200, nil)
				},
				"topics": func() { srv.do(apiCall{method: "GET", path: "/v1/topics", token: tok}).want(t, 200, nil) },
				"topic": func() {
					srv.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "?view=full", token: tok}).want(t, 200, nil)
				},
				"turn": func() {
					n++
					if _, r := srv.turn(t, tok, sess.ID, "/hint", ""); r.status != 200 {
						t.Fatalf("turn: %d %s", r.status, r.body)
					}
				},
				// A turn that answers (wrongly) reviews the question: it
				// reads the user and drops the user's memory states and
				// days of study.
				"answer": func() {
					reply, r := srv.turn(t, tok, sess.ID, "not the answer", "")
					if r.status != 200 || reply.Turn.Correct == nil || *reply.Turn.Correct {
						t.Fatalf("answer: %d %s", r.status, r.body)
					}
				},
			}
			for _, p := range targets[mode.near] {
				steps[p.name]() // the caches hold what a returning user needs
				got := measureRedis(t, rc, 3, steps[p.name])
				t.Logf("%s %s: %v (target %v)", mode.name, p.name, got, p.goal)
				if got.roundTrips > p.want {
					t.Errorf("%s %s: %v round trips, more than the %v recorded: %v", mode.name, p.name, got.roundTrips, p.want, got)
				}
				if got.roundTrips < p.want {
					t.Errorf("%s %s: %v round trips, fewer than the %v recorded: lower the record", mode.name, p.name, got.roundTrips, p.want)
				}
			}
		})
	}
}
