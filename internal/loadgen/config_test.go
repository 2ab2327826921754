package loadgen

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/recallhq/recall"
)

func TestParseMix(t *testing.T) {
	t.Run("Default", func(t *testing.T) {
		m, err := ParseMix(DefaultMix)
		if err != nil {
			t.Fatal(err)
		}
		want := Mix{40, 15, 10, 5, 25, 4, 1, 5, 1, 5}
		if m != want {
			t.Fatalf("ParseMix(default) = %v, want %v", m, want)
		}
		if got := m.String(); got != DefaultMix {
			t.Fatalf("String() = %q, want %q", got, DefaultMix)
		}
	})
	t.Run("SpacesAndOmittedOps", func(t *testing.T) {
		m, err := ParseMix(" turn = 3 , dashboard=1 ")
		if err != nil {
			t.Fatal(err)
		}
		if want := (Mix{1, 0, 0, 0, 3, 0, 0}); m != want {
			t.Fatalf("got %v, want %v", m, want)
		}
		if got := m.String(); got != "dashboard=1,turn=3" {
			t.Fatalf("String() = %q", got)
		}
	})
	for name, tc := range map[string]struct{ in, msg string }{
		"ErrEmpty":       {"", "empty"},
		"ErrNoEquals":    {"dashboard", "want op=weight"},
		"ErrUnknownOp":   {"dashboards=3", `unknown operation "dashboards"`},
		"ErrTwice":       {"turn=1,turn=2", "given twice"},
		"ErrNegative":    {"turn=-1", "whole number"},
		"ErrFraction":    {"turn=1.5", "whole number"},
		"ErrHuge":        {"turn=1000001", "whole number"},
		"ErrAllZero":     {"turn=0,login=0", "every weight is 0"},
		"ErrTrailing":    {"turn=1,", "want op=weight"},
		"ErrGarbageWght": {"turn=x", "whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseMix(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ParseMix(%q) error = %v, want one containing %q", tc.in, err, tc.msg)
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	def, _ := ParseMix(DefaultMix)
	for _, tc := range []struct {
		mix  Mix
		n    int
		want [numOps]int
	}{
		// One each (10), the other 22 by weight (of 111): 7.93, 2.97,
		// 1.98, 0.99, 4.95, 0.79, 0.20, 0.99, 0.20, 0.99 → floors 14, the
		// eight largest remainders (session_start, session_start_due,
		// message, topic, topics, turn, dashboard, write) get one more.
		{def, 32, [numOps]int{9, 4, 3, 2, 6, 2, 1, 2, 1, 2}},
		{def, 10, [numOps]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{Mix{1, 0, 0, 0, 1, 0, 0}, 5, [numOps]int{3, 0, 0, 0, 2, 0, 0}},
		{Mix{0, 0, 0, 0, 7, 0, 0}, 4, [numOps]int{0, 0, 0, 0, 4, 0, 0}},
	} {
		got, err := tc.mix.Allocate(tc.n)
		if err != nil {
			t.Fatalf("Allocate(%v, %d): %v", tc.mix, tc.n, err)
		}
		if got != tc.want {
			t.Errorf("Allocate(%v, %d) = %v, want %v", tc.mix, tc.n, got, tc.want)
		}
		sum := 0
		for _, v := range got {
			sum += v
		}
		if sum != tc.n {
			t.Errorf("Allocate(%v, %d) shares out %d virtual users", tc.mix, tc.n, sum)
		}
	}
	if _, err := def.Allocate(6); err == nil {
		t.Error("Allocate(default, 6) = nil error, want one: 7 operations need 7 virtual users")
	}
}

func TestParseModes(t *testing.T) {
	got, err := ParseModes("near, none")
	if err != nil || len(got) != 2 || got[0] != ModeNear || got[1] != ModeNone {
		t.Fatalf("ParseModes = %v, %v", got, err)
	}
	for _, in := range []string{"", "none,", "fast", "none,none", "target"} {
		if _, err := ParseModes(in); err == nil {
			t.Errorf("ParseModes(%q) = nil error, want one", in)
		}
	}
}

func TestParseInstances(t *testing.T) {
	for in, want := range map[string][]int{"1": {1}, "1,3": {1, 3}, " 3 , 1 ": {3, 1}, "16": {16}} {
		got, err := ParseInstances(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseInstances(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":      "empty item",
		"1,":    "empty item",
		"0":     "from 1 to 16",
		"17":    "from 1 to 16",
		"-1":    "from 1 to 16",
		"x":     "from 1 to 16",
		"1.5":   "from 1 to 16",
		"1,3,1": "given twice",
	} {
		if _, err := ParseInstances(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseInstances(%q) error = %v, want one containing %q", in, err, msg)
		}
	}
}

func TestConfigValidateInstancesAndCluster(t *testing.T) {
	base := Config{Modes: []string{ModeNear}, Duration: 1, Concurrency: 4, Users: 4, Topics: 1, Questions: 1, Mix: Mix{1},
		Start:     func(context.Context, Instance) (Server, error) { return nil, nil },
		OpenStore: func(context.Context, string) (recall.Store, error) { return nil, nil }}
	ok := base
	ok.RedisCluster = true
	ok.Instances = []int{1, 3}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate of --redis-cluster --instances 1,3 = %v, want nil (the cluster stands for --redis)", err)
	}
	for name, tc := range map[string]struct {
		edit func(*Config)
		msg  string
	}{
		"ErrClusterAndRedis":  {func(c *Config) { c.RedisCluster, c.Redis = true, "redis://127.0.0.1:6379" }, "exclude each other"},
		"ErrClusterNoRedis":   {func(c *Config) { c.RedisCluster, c.Modes = true, []string{ModeNone} }, "no mode uses Redis"},
		"ErrNoRedis":          {func(c *Config) {}, "mode near needs --redis"},
		"ErrTooManyInstances": {func(c *Config) { c.RedisCluster, c.Instances = true, []int{5} }, "at least as many virtual users"},
		"ErrInstanceZero":     {func(c *Config) { c.RedisCluster, c.Instances = true, []int{0} }, "not from 1 to"},
		"ErrInstanceTwice":    {func(c *Config) { c.RedisCluster, c.Instances = true, []int{2, 2} }, "given twice"},
		"ErrTargetInstances":  {func(c *Config) { c.Target, c.Instances = "http://127.0.0.1:1", []int{3} }, "--instances does not apply"},
		"ErrTargetCluster":    {func(c *Config) { c.Target, c.RedisCluster = "http://127.0.0.1:1", true }, "--redis-cluster does not apply"},
	} {
		t.Run(name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.msg)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Modes: []string{ModeRedis}, Redis: "redis://127.0.0.1:6379", Duration: 1, Concurrency: 1, Users: 1, Topics: 1, Questions: 1, Mix: Mix{1}}
	if err := ok.Validate(); err == nil || !strings.Contains(err.Error(), "StartFunc") {
		t.Fatalf("Validate without StartFunc = %v, want an error naming it", err)
	}
	bad := ok
	bad.Redis = ""
	bad.Duration = 0
	bad.Concurrency = 0
	err := bad.Validate()
	for _, want := range []string{"needs --redis", "--duration", "--concurrency"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %q", err, want)
		}
	}
	target := Config{Target: "http://127.0.0.1:1", Duration: 1, Concurrency: 1, Users: 1, Topics: 1, Questions: 1, Mix: Mix{1}}
	if err := target.Validate(); err != nil {
		t.Errorf("Validate of a target config = %v, want nil (no StartFunc needed)", err)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "https://127.0.0.2"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("checkLoopback(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "http://example.com", "127.0.0.1:8080", "ftp://127.0.0.1", ""} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("checkLoopback(%q) = nil, want an error", bad)
		}
	}
}

func TestRightAnswer(t *testing.T) {
	for _, c := range [][3]int{{0, 0, 0}, {7, 3, 2}, {999, 9, 29}, {4, 1, 40}} {
		q := makeQuestion(c[0], c[1], c[2])
		if got := rightAnswer(q.Prompt); got != q.Answers[0] {
			t.Errorf("rightAnswer(%q) = %q, want %q", q.Prompt, got, q.Answers[0])
		}
		if len(q.Choices) > 0 && !strings.Contains(strings.Join(q.Choices, "|"), q.Answers[0]) {
			t.Errorf("question %v: answer %q is not one of its choices %v", c, q.Answers[0], q.Choices)
		}
	}
	if got := rightAnswer("What is 2+2?"); got != wrongAnswer {
		t.Errorf("rightAnswer of a foreign prompt = %q, want %q", got, wrongAnswer)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP recall_db_queries_total Statements.
# TYPE recall_db_queries_total counter
recall_db_queries_total{kind="read",op="Topics"} 7
recall_db_queries_total{kind="read",op="TokenByHash"} 5
recall_db_queries_total{kind="write",op="SaveTurn"} 100
recall_db_queries_total{op="Odd",kind="read"} 1
recall_db_queries_total{kind="reader",op="X"} 1000
recall_redis_calls_total{op="get"} 3
recall_redis_calls_total{op="set"} 4.5
recall_redis_calls_totalx{op="set"} 1000
process_resident_memory_bytes 1.048576e+08
garbage line
`
	c, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if !c.found || c.dbReads != 13 || c.redisCalls != 7.5 || c.rssBytes != 104857600 {
		t.Fatalf("parseMetrics = %+v, want found, 13 reads, 7.5 Redis calls, 104857600 bytes", c)
	}
}
