package http

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/recallhq/recall"
)

// The topic views are encoded by hand (appendTopic); the tests here prove
// the bytes equal what encoding/json gives for the struct views the server
// used before, kept below as the reference.

type topicSummary struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	QuestionCount int       `json:"question_count"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type topicDashboard struct {
	topicSummary
	Description string    `json:"description"`
	Stats       statsJSON `json:"stats"`
}

type topicFull struct {
	topicDashboard
	CreatedAt   time.Time `json:"created_at"`
	QuestionIDs []string  `json:"question_ids"`
}

type statsJSON struct {
	SessionsCompleted int        `json:"sessions_completed"`
	Answers           int        `json:"answers"`
	Correct           int        `json:"correct"`
	Accuracy          *float64   `json:"accuracy"`
	LastStudiedAt     *time.Time `json:"last_studied_at"`
	*learningJSON
}

// learningJSON is the part of the stats that the memory states give.
type learningJSON struct {
	New       int        `json:"new"`
	Learning  int        `json:"learning"`
	Review    int        `json:"review"`
	DueNow    int        `json:"due_now"`
	Mastered  int        `json:"mastered"`
	NextDueAt *time.Time `json:"next_due_at"`
}

// topicView projects t onto one of the struct views, as the server did.
func topicView(t *recall.Topic, view string) any {
	sum := topicSummary{ID: t.ID, Title: t.Title, QuestionCount: len(t.QuestionIDs), UpdatedAt: t.UpdatedAt.UTC()}
	if view == viewSummary {
		return sum
	}
	st := statsJSON{
		SessionsCompleted: t.Stats.SessionsCompleted,
		Answers:           t.Stats.Answers,
		Correct:           t.Stats.Correct,
		Accuracy:          t.Stats.Accuracy(),
	}
	if t.Stats.LastStudiedAt != nil {
		at := t.Stats.LastStudiedAt.UTC()
		st.LastStudiedAt = &at
	}
	if l := t.Learning; l != nil {
		st.learningJSON = &learningJSON{New: l.New, Learning: l.Learning, Review: l.Review, DueNow: l.DueNow, Mastered: l.Mastered, NextDueAt: l.NextDueAt}
	}
	dash := topicDashboard{topicSummary: sum, Description: t.Description, Stats: st}
	if view == viewDashboard {
		return dash
	}
	ids := t.QuestionIDs
	if ids == nil {
		ids = []string{}
	}
	return topicFull{topicDashboard: dash, CreatedAt: t.CreatedAt.UTC(), QuestionIDs: ids}
}

// referenceTopicList is the body writeJSON gave for GET /v1/topics.
func referenceTopicList(ts []*recall.Topic, view string) ([]byte, error) {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = topicView(t, view)
	}
	return referenceBody(map[string]any{"topics": out})
}

// referenceTopic is the body writeJSON gave for one topic.
func referenceTopic(t *recall.Topic, view string) ([]byte, error) {
	return referenceBody(map[string]any{"topic": topicView(t, view)})
}

func referenceBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// newTopicList is the body writeTopicList writes.
func newTopicList(ts []*recall.Topic, view string) ([]byte, error) {
	b := []byte(`{"topics":[`)
	var err error
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendTopic(b, t, view); err != nil {
			return nil, err
		}
	}
	return append(b, "]}\n"...), nil
}

// newTopic is the body writeTopic writes.
func newTopic(t *recall.Topic, view string) ([]byte, error) {
	b, err := appendTopic([]byte(`{"topic":`), t, view)
	if err != nil {
		return nil, err
	}
	return append(b, "}\n"...), nil
}

// allViews are the topic views a request may ask for.
var allViews = []string{viewSummary, viewDashboard, viewFull}

// checkTopics fails t unless both bodies of ts (the list, and each topic
// alone) are the reference's in every view, or both encoders fail.
func checkTopics(t *testing.T, ts []*recall.Topic) {
	t.Helper()
	same := func(what string, got []byte, gotErr error, want []byte, wantErr error) {
		t.Helper()
		switch {
		case (gotErr != nil) != (wantErr != nil):
			t.Fatalf("%s: error %v, encoding/json's %v", what, gotErr, wantErr)
		case !bytes.Equal(got, want):
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	for _, view := range allViews {
		got, gotErr := newTopicList(ts, view)
		want, wantErr := referenceTopicList(ts, view)
		same("list "+view, got, gotErr, want, wantErr)
		for i, tp := range ts {
			got, gotErr := newTopic(tp, view)
			want, wantErr := referenceTopic(tp, view)
			same("topic "+strconv.Itoa(i)+" "+view, got, gotErr, want, wantErr)
		}
	}
}

// tricky are strings encoding/json escapes, or must not: HTML characters,
// every kind of control character, quotes and backslashes, the JavaScript
// line ends, invalid and truncated UTF-8, a real U+FFFD, non-BMP runes.
var tricky = []string{
	"", "plain", "<script>alert('x')</script>", "a&b", "\"quoted\"", `back\slash`,
	"\x00\x01\x1f\x7f", "\b\f\n\r\t", "\u2028\u2029", "\u2027\u202a", "\xff", "\xe2\x80",
	"\xe2\x80\xa8x", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\uFFFD", "é ü ß 日本 🙂", "\xc0\xaf", "/",
}

// odd times: zones other than UTC (with seconds in the offset), nanoseconds
// with trailing zeros, the zero time, the ends of RFC 3339's years and just
// past them (which encoding/json refuses).
var oddTimes = []time.Time{
	{},
	time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.FixedZone("", -(7*3600+30*60+17))),
	time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", 14*3600)),
	time.Date(2000, 2, 29, 0, 0, 0, 1, time.FixedZone("", 23*3600+59*60+59)),
	time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -3600)), // 10000 in UTC
	time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Now(), // with a monotonic reading and the local zone
}

// oddStats give accuracies 1/3, 0, -0, 1, negatives, the tiny and the huge
// (exponent form), and none.
var oddStats = [][2]int{
	{0, 0}, {1, 3}, {0, 7}, {0, -7}, {5, 5}, {-1, 3}, {2, 3}, {1, 1_000_000}, {1, 10_000_000},
	{1, math.MaxInt64}, {math.MaxInt64, 1}, {math.MinInt64, 3}, {7, 100_000_000_000},
}

// TestTopicJSONEdgeCases checks the hand-written encoding against
// encoding/json on every combination class of tricky input.
func TestTopicJSONEdgeCases(t *testing.T) {
	var ts []*recall.Topic
	checkTopics(t, ts) // no topics: [] not null
	for i, s := range tricky {
		at := oddTimes[i%len(oddTimes)]
		ts = append(ts, &recall.Topic{
			ID: s, Title: s, Description: s, QuestionIDs: []string{s, "q" + s},
			UpdatedAt: oddTimes[(i+1)%len(oddTimes)], CreatedAt: oddTimes[(i+2)%len(oddTimes)],
			Stats: recall.TopicStats{SessionsCompleted: i, Answers: 3, Correct: 1, LastStudiedAt: &at},
		})
	}
	checkTopics(t, ts)
	for _, at := range oddTimes {
		at := at
		tp := &recall.Topic{ID: "t", Title: "T", UpdatedAt: at, CreatedAt: at, Stats: recall.TopicStats{LastStudiedAt: &at}}
		checkTopics(t, []*recall.Topic{tp}) // nil QuestionIDs: [] in the full view
		tp = &recall.Topic{ID: "t", Title: "T", QuestionIDs: []string{}, Stats: recall.TopicStats{LastStudiedAt: &at}}
		checkTopics(t, []*recall.Topic{tp}) // only last_studied_at odd
	}
	for _, st := range oddStats {
		tp := &recall.Topic{ID: "t", Title: "T", Stats: recall.TopicStats{Correct: st[0], Answers: st[1], SessionsCompleted: -st[1]}}
		checkTopics(t, []*recall.Topic{tp})
	}
}

// TestAppendJSONFloat checks the float encoding, accuracy's, against
// encoding/json on the cut-offs of the exponent form and on random bits.
func TestAppendJSONFloat(t *testing.T) {
	fs := []float64{
		0, math.Copysign(0, -1), 1, -1, 1.0 / 3, 2.0 / 3, 0.1, 1e-6, 9.99999e-7, 1e-7, 1e-10, 1.5e-100,
		1e20, 1e21, 9.999999999999999e20, 123456789e13, 1e100, math.MaxFloat64, math.SmallestNonzeroFloat64,
		-1e-7, -1e21, 5e-324, 1e-5, 0.000001, 100, 1e9, 1 << 53, math.NaN(), math.Inf(1), math.Inf(-1),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		fs = append(fs, math.Float64frombits(rng.Uint64()), rng.Float64(), rng.NormFloat64()*1e-6)
	}
	for _, f := range fs {
		checkFloat(t, f)
	}
}

// TestAppendJSONString checks the string encoding against encoding/json
// for every byte value, and the JavaScript line ends, at every offset of a
// plain run long enough to be skipped 8 bytes at a time around it.
func TestAppendJSONString(t *testing.T) {
	var specials []string
	for c := range 256 {
		specials = append(specials, string([]byte{byte(c)}))
	}
	specials = append(specials, "\u2028", "\u2029", "\uFFFD", "é", "\xe2\x80", "🙂")
	plain := strings.Repeat("abcdefgh", 3)
	for _, sp := range specials {
		for i := 0; i <= len(plain); i++ {
			checkString(t, plain[:i]+sp+plain[i:])
		}
	}
	for _, s := range tricky {
		checkString(t, s)
	}
}

// checkString fails t unless appendJSONString writes s as encoding/json
// does (after a prefix, which must be kept).
func checkString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("x:"), s); string(got) != "x:"+string(want) {
		t.Fatalf("%q: got %q, want %q", s, got, "x:"+string(want))
	}
}

// checkFloat fails t unless appendJSONFloat writes f as encoding/json does
// (after a prefix, which must be kept), or both fail.
func checkFloat(t *testing.T, f float64) {
	t.Helper()
	want, wantErr := json.Marshal(f)
	got, gotErr := appendJSONFloat([]byte("x:"), f)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%v: error %v, encoding/json's %v", f, gotErr, wantErr)
	}
	if wantErr == nil && string(got) != "x:"+string(want) {
		t.Fatalf("%v: got %q, want %q", f, got, "x:"+string(want))
	}
}

// TestTopicJSONProperty checks random topics, made of random runes, bytes
// and the tricky strings, random stats and times, against encoding/json.
func TestTopicJSONProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed) // shown on failure, to replay it
	rng := rand.New(rand.NewPCG(7, seed))
	str := func() string {
		var b []byte
		for range rng.IntN(12) {
			switch rng.IntN(5) {
			case 0:
				b = append(b, byte(rng.IntN(256)))
			case 1:
				b = append(b, tricky[rng.IntN(len(tricky))]...)
			case 2:
				b = utf8.AppendRune(b, rune(rng.IntN(0x110000)))
			default:
				b = append(b, byte(rng.IntN(128)))
			}
		}
		return string(b)
	}
	tm := func() time.Time {
		if rng.IntN(4) == 0 {
			return oddTimes[rng.IntN(len(oddTimes))]
		}
		// Years 1 to about 10600, in a zone up to a day either way.
		at := time.Unix(rng.Int64N(300_000_000_000)-62_000_000_000, rng.Int64N(1e9))
		return at.In(time.FixedZone("", rng.IntN(2*86400)-86400))
	}
	num := func() int {
		switch rng.IntN(4) {
		case 0:
			return int(rng.Int64())
		case 1:
			return 0
		default:
			return rng.IntN(1000)
		}
	}
	for range 3000 {
		ts := make([]*recall.Topic, rng.IntN(4))
		for i := range ts {
			tp := &recall.Topic{
				ID: str(), Title: str(), Description: str(), UpdatedAt: tm(), CreatedAt: tm(),
				Stats: recall.TopicStats{SessionsCompleted: num(), Answers: num(), Correct: num()},
			}
			if rng.IntN(2) == 0 {
				at := tm()
				tp.Stats.LastStudiedAt = &at
			}
			if rng.IntN(4) > 0 {
				tp.QuestionIDs = make([]string, rng.IntN(5))
				for j := range tp.QuestionIDs {
					tp.QuestionIDs[j] = str()
				}
			}
			ts[i] = tp
		}
		checkTopics(t, ts)
	}
}

// FuzzTopicJSON checks a fuzzed topic, string and float against
// encoding/json. Question IDs are qids split at commas ("" is none, nil).
func FuzzTopicJSON(f *testing.F) {
	f.Add("01J", "Capitals <of> the world & co", "line\nbreak\u2028\xff", "a,b,c",
		int64(3), int64(10), int64(7), true, int64(1_700_000_000), int64(123_000_000), int64(3600), 1.0/3)
	f.Add("", "", "", "", int64(0), int64(0), int64(0), false, int64(0), int64(0), int64(0), 0.0)
	f.Add("\x00", "\"\\", "\u2029\t", ",", int64(-1), int64(1), int64(1<<62), true,
		int64(253_402_300_800), int64(0), int64(-1), 1e-7)
	f.Add("x", "y", "z", "q", int64(1), int64(3), int64(1), true, int64(-62_135_596_801), int64(999_999_999), int64(59), 1e21)
	f.Fuzz(func(t *testing.T, id, title, desc, qids string, sessions, answers, correct int64,
		studied bool, sec, nsec, offset int64, x float64) {
		checkFloat(t, x)
		checkString(t, desc)
		zone := time.FixedZone("", int(offset%(2*86400)))
		at := time.Unix(sec, nsec).In(zone)
		tp := &recall.Topic{
			ID: id, Title: title, Description: desc,
			UpdatedAt: at, CreatedAt: at.Add(-time.Duration(nsec)),
			Stats: recall.TopicStats{SessionsCompleted: int(sessions), Answers: int(answers), Correct: int(correct)},
		}
		if qids != "" {
			tp.QuestionIDs = strings.Split(qids, ",")
		}
		if studied {
			last := at.Add(time.Duration(sec))
			tp.Stats.LastStudiedAt = &last
		}
		checkTopics(t, []*recall.Topic{tp, {ID: qids, Title: desc, UpdatedAt: at}})
	})
}

// TestTopicResponses checks the topic responses through the server: the
// bodies are what encoding/json gave, and every one (writeJSON's too) has
// a Content-Length rather than chunks, however large.
func TestTopicResponses(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, &me)
	long := strings.Repeat("<Long> & \u2028 description. ", 150) // well over 2 KB
	for i := range 3 {
		id := e.createTopic(tok, "Topic <"+strconv.Itoa(i)+"> & \"more\"")
		e.do(req{method: "PATCH", path: "/v1/topics/" + id, token: tok, body: map[string]string{"description": long}}).want(t, 200, nil)
		e.addQuestions(tok, id, q("2+2?", "4"), q("Capital of France?", "Paris"))
	}
	e.do(req{method: "GET", path: "/v1/topics/nope", token: tok}).wantError(t, 404, "not_found")

	ts, err := e.store.Topics(context.Background(), me.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	// No question has been studied: both of each topic are new.
	for _, tp := range ts {
		tp.Learning = &recall.LearningStats{New: 2}
	}
	check := func(r *response, want []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.body, want) {
			t.Fatalf("body\n got %s\nwant %s", r.body, want)
		}
		if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
			t.Fatalf("Content-Length %q for %d bytes", cl, len(r.body))
		}
	}
	for _, view := range allViews {
		r := e.do(req{method: "GET", path: "/v1/topics?view=" + view, token: tok}).want(t, 200, nil)
		want, err := referenceTopicList(ts, view)
		check(r, want, err)
		r = e.do(req{method: "GET", path: "/v1/topics/" + ts[1].ID + "?view=" + view, token: tok}).want(t, 200, nil)
		want, err = referenceTopic(ts[1], view)
		check(r, want, err)
	}
	r := e.do(req{method: "GET", path: "/v1/topics", token: tok}).want(t, 200, nil)
	want, err := referenceTopicList(ts, viewSummary)
	check(r, want, err) // summary by default

	r = e.do(req{method: "PATCH", path: "/v1/topics/" + ts[0].ID + "?view=dashboard", token: tok, body: map[string]string{"title": "Renamed"}}).want(t, 200, nil)
	tp, err := e.store.Topic(context.Background(), me.User.ID, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err = referenceTopic(tp, viewDashboard)
	check(r, want, err)

	r = e.do(req{method: "POST", path: "/v1/topics", token: tok, body: map[string]string{"title": "New"}}).want(t, 201, nil)
	var created topicResp
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	if r.header.Get("Location") != "/v1/topics/"+created.Topic.ID {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	tp, err = e.store.Topic(context.Background(), me.User.ID, created.Topic.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err = referenceTopic(tp, viewFull)
	check(r, want, err)

	// Through writeJSON: a success and an error.
	r = e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)
	if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Fatalf("GET /v1/me: Content-Length %q for %d bytes", r.header.Get("Content-Length"), len(r.body))
	}
	r = e.do(req{method: "GET", path: "/v1/topics?view=bad", token: tok})
	r.wantError(t, 400, "invalid")
	if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Fatalf("400: Content-Length %q for %d bytes", r.header.Get("Content-Length"), len(r.body))
	}
	// The OpenAPI document (tens of KB) too.
	r = e.do(req{method: "GET", path: "/v1/openapi.json"}).want(t, 200, nil)
	if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) || len(r.body) < 2<<10 {
		t.Fatalf("openapi.json: Content-Length %q for %d bytes", r.header.Get("Content-Length"), len(r.body))
	}
}

// TestTopicEncodeFailure checks that a topic encoding/json could not encode
// (a year past 9999) is still a clean, logged 500.
func TestTopicEncodeFailure(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Topics = farFutureTopics{c.Topics} })
	tok := e.signUp("ada")
	e.createTopic(tok, "Soon")
	r := e.do(req{method: "GET", path: "/v1/topics", token: tok})
	r.wantError(t, 500, "internal")
	if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Fatalf("Content-Length %q for %d bytes", r.header.Get("Content-Length"), len(r.body))
	}
	if !strings.Contains(e.logs.String(), "encode response") {
		t.Fatalf("encoding failure not logged:\n%s", e.logs.String())
	}
	e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)
}

// farFutureTopics lists topics as updated in the year 10000.
type farFutureTopics struct{ recall.TopicStore }

func (s farFutureTopics) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	ts, err := s.TopicStore.Topics(ctx, userID)
	for _, t := range ts {
		t.UpdatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return ts, err
}

// TestResponseBufferReuse checks that a buffer is handed out empty, with
// the room asked for, even when it was given back dirty.
func TestResponseBufferReuse(t *testing.T) {
	s := NewServer(Config{})
	buf := s.responseBuffer(10)
	if len(*buf) != 0 || cap(*buf) < 10 {
		t.Fatalf("len %d cap %d, want empty with room for 10", len(*buf), cap(*buf))
	}
	*buf = append(*buf, "dirty"...)
	s.releaseBuffer(buf)
	for range 3 {
		b := s.responseBuffer(100)
		if len(*b) != 0 || cap(*b) < 100 {
			t.Fatalf("len %d cap %d, want empty with room for 100", len(*b), cap(*b))
		}
		*b = append(*b, "dirty"...)
		s.releaseBuffer(b)
	}
}
