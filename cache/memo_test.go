package cache

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func sampleTopics() []*recall.Topic {
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	return []*recall.Topic{
		{ID: "t1", UserID: "u", Title: "Go", Description: "d", QuestionIDs: []string{"q1", "q2"},
			Stats: recall.TopicStats{SessionsCompleted: 1, Answers: 2, Correct: 1, LastStudiedAt: &at}, CreatedAt: at, UpdatedAt: at},
		{ID: "t2", UserID: "u", Title: "Rust", QuestionIDs: []string{}, CreatedAt: at, UpdatedAt: at},
		{ID: "t3", UserID: "u", Title: "Zig", QuestionIDs: []string{"q3"}, CreatedAt: at, UpdatedAt: at},
	}
}

func sampleQuestions() []*recall.Question {
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	return []*recall.Question{
		{ID: "q1", TopicID: "t1", Prompt: "p1", Answers: []string{"a", "b"}, Choices: []string{"a", "b", "c"}, Hint: "h", Explanation: "e", CreatedAt: at, UpdatedAt: at},
		{ID: "q2", TopicID: "t1", Prompt: "p2", Answers: []string{"x"}, AbsTol: 0.01, RelTol: 0.05, Unit: "km", CreatedAt: at, UpdatedAt: at},
		{ID: "q3", TopicID: "t1", Prompt: "p3", Answers: []string{"y"}, Choices: []string{}, CreatedAt: at, UpdatedAt: at},
	}
}

// scribble changes, through reflection, every string, number, slice
// element and pointed-to value reachable from v, and appends to every
// slice, so that any memory v shares with another value shows the change.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
		if v.CanSet() && v.Len() > 0 {
			// An append within the capacity would write over a neighbour.
			v.Set(reflect.Append(v, v.Index(0)))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if v.CanSet() {
				v.Set(reflect.ValueOf(time.Unix(1, 0)))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString("scribbled")
		}
	case reflect.Int, reflect.Int64:
		if v.CanSet() {
			v.SetInt(-1)
		}
	case reflect.Uint8:
		if v.CanSet() {
			v.SetUint(0xff)
		}
	case reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
		panic(fmt.Sprintf("scribble: %s is not handled: teach the clone functions and this test about it", v.Type()))
	}
}

// TestClonesShareNothing checks that the copies the memo hands out share
// no changeable memory with the value it keeps, whatever a caller does to
// them: the clone functions must follow the fields of the domain types.
func TestClonesShareNothing(t *testing.T) {
	check := func(t *testing.T, orig, want any, clone func() any) {
		t.Helper()
		c := clone()
		if !reflect.DeepEqual(c, orig) {
			t.Fatalf("the clone differs:\n%+v\n%+v", c, orig)
		}
		scribble(reflect.ValueOf(c))
		if !reflect.DeepEqual(orig, want) {
			t.Fatalf("changing the clone changed the original")
		}
		if reflect.DeepEqual(c, orig) {
			t.Fatalf("scribble changed nothing: the test cannot fail")
		}
	}
	t.Run("Topics", func(t *testing.T) {
		orig := sampleTopics()
		check(t, orig, sampleTopics(), func() any { return cloneTopics(orig) })
		if cloneTopics(nil) != nil {
			t.Fatal("cloneTopics(nil) is not nil")
		}
	})
	t.Run("Questions", func(t *testing.T) {
		orig := sampleQuestions()
		check(t, orig, sampleQuestions(), func() any { return cloneQuestions(orig) })
		if cloneQuestions(nil) != nil {
			t.Fatal("cloneQuestions(nil) is not nil")
		}
	})
	t.Run("Token", func(t *testing.T) {
		mk := func() *recall.Token {
			return &recall.Token{Hash: []byte{1, 2, 3}, UserID: "u", CreatedAt: time.Unix(5, 0).UTC(), ExpiresAt: time.Unix(6, 0).UTC()}
		}
		orig := mk()
		check(t, orig, mk(), func() any { return cloneToken(orig) })
	})
}

// countingCodec is the topics codec with its decodes counted.
func countingCodec(memoBytes int) (codec[[]*recall.Topic], *atomic.Int64) {
	n := new(atomic.Int64)
	return codec[[]*recall.Topic]{
		encode: encodeTopics,
		decode: func(e entry) ([]*recall.Topic, error) { n.Add(1); return decodeTopics(e) },
		clone:  cloneTopics,
		memo:   newMemo[[]*recall.Topic](memoBytes),
	}, n
}

func TestMemo_DecodesOncePerContent(t *testing.T) {
	cd, decodes := countingCodec(0)
	e1, err := encodeTopics(sampleTopics())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		// A fresh copy of the bytes each time, as Redis returns them.
		got, err := cd.value("k", entry{val: append([]byte(nil), e1.val...)})
		if err != nil || !reflect.DeepEqual(got, sampleTopics()) {
			t.Fatalf("read %d: %+v, %v", i, got, err)
		}
		got[0].Title = "scribbled" // the caller's own copy
		got[0].QuestionIDs[0] = "scribbled"
	}
	if n := decodes.Load(); n != 1 {
		t.Fatalf("3 reads of the same bytes decoded %d times; want 1", n)
	}
	// New bytes at the key are decoded, and win.
	changed := sampleTopics()
	changed[1].Title = "Rust 2"
	e2, _ := encodeTopics(changed)
	if got, _ := cd.value("k", e2); got[1].Title != "Rust 2" {
		t.Fatalf("after a change the memo returned %q", got[1].Title)
	}
	// ... and the old bytes again are decoded again (one item per key).
	if got, _ := cd.value("k", e1); got[1].Title != "Rust" {
		t.Fatalf("the old bytes gave %q", got[1].Title)
	}
	if n := decodes.Load(); n != 3 {
		t.Fatalf("decodes = %d; want 3", n)
	}
	// Another key with the same bytes is its own item.
	cd.value("other", e1)
	if n := decodes.Load(); n != 4 {
		t.Fatalf("decodes = %d; want 4", n)
	}
	// A corrupt entry is an error, and nothing is remembered for it.
	if _, err := cd.value("bad", entry{val: []byte("{")}); err == nil {
		t.Fatal("a corrupt entry decoded")
	}
	if _, err := cd.value("bad", entry{val: []byte("{")}); err == nil {
		t.Fatal("a corrupt entry decoded the second time")
	}
}

func TestMemo_Hashes(t *testing.T) {
	decodes := 0
	cd := codec[[]*recall.Question]{
		encode: encodeQuestions,
		decode: func(e entry) ([]*recall.Question, error) { decodes++; return decodeQuestions(e) },
		clone:  cloneQuestions,
		memo:   newMemo[[]*recall.Question](0),
	}
	e, err := encodeQuestions(sampleQuestions())
	if err != nil {
		t.Fatal(err)
	}
	copyFields := func(f map[string][]byte) map[string][]byte {
		out := make(map[string][]byte, len(f))
		for k, v := range f {
			out[k] = append([]byte(nil), v...)
		}
		return out
	}
	for range 3 {
		got, err := cd.value("q", entry{fields: copyFields(e.fields)})
		if err != nil || !reflect.DeepEqual(got, sampleQuestions()) {
			t.Fatalf("%+v, %v", got, err)
		}
		got[0].Answers[0] = "scribbled"
	}
	if decodes != 1 {
		t.Fatalf("decodes = %d; want 1", decodes)
	}
	// One field changed, one added, one removed: each is new content.
	f := copyFields(e.fields)
	f["q2"] = encodeQuestion(&recall.Question{ID: "q2", TopicID: "t1", Prompt: "changed", Answers: []string{"x"}})
	if got, _ := cd.value("q", entry{fields: f}); got[1].Prompt != "changed" {
		t.Fatalf("a changed field gave %q", got[1].Prompt)
	}
	f = copyFields(e.fields)
	f["extra"] = []byte("{}")
	cd.value("q", entry{fields: f})
	f = copyFields(e.fields)
	delete(f, "q3")
	if _, err := cd.value("q", entry{fields: f}); err == nil {
		t.Fatal("a bank without one of its questions decoded")
	}
	if decodes != 4 {
		t.Fatalf("decodes = %d; want 4", decodes)
	}
	if sameEntry(entry{val: []byte{}}, entry{fields: map[string][]byte{}}) {
		t.Fatal("a value and a hash compare equal")
	}
}

func TestMemo_Bounded(t *testing.T) {
	const budget = 64 << 10
	m := newMemo[int](budget)
	val := make([]byte, 1000)
	m.put("hot", entry{val: val}, -1)
	for i := range 10_000 {
		m.put(fmt.Sprint("key", i), entry{val: val}, i)
		m.get("hot", entry{val: val}) // a hot key is read between the puts of others
		// otter records reads in a lossy buffer that its maintenance
		// drains, in a goroutine by default: drain it now, so that no read
		// of the hot key is lost whatever the scheduler does.
		m.items.CleanUp()
	}
	if w, n := m.weight(), m.len(); w > budget || n == 0 || n > budget/1000 {
		t.Fatalf("the memo holds %d items, %d bytes; bound %d", n, w, budget)
	}
	// The key that is read survives; the keys put once and never read go.
	// (Which of those stay is otter's choice: when the memo is full, a key
	// seen once may be refused and is decoded again on its next hit.)
	if v, ok := m.get("hot", entry{val: val}); !ok || v != -1 {
		t.Fatal("the key read all along was evicted")
	}
	if _, ok := m.get("key0", entry{val: val}); ok {
		t.Fatal("the oldest key survived 10000 newer ones")
	}
	// An entry larger than an eighth of the bound is not kept at all; a
	// smaller one is, when there is room.
	m = newMemo[int](budget)
	m.put("big", entry{val: make([]byte, budget/memoMaxItemShare)}, 1)
	if _, ok := m.get("big", entry{val: make([]byte, budget/memoMaxItemShare)}); ok {
		t.Fatal("an entry larger than an eighth of the bound was kept")
	}
	small := budget/memoMaxItemShare/2 - memoOverhead - 10
	m.put("k", entry{val: make([]byte, small)}, 1)
	if _, ok := m.get("k", entry{val: make([]byte, small)}); !ok {
		t.Fatal("an entry within an eighth of the bound was not kept")
	}
	if newMemo[int](-1) != nil {
		t.Fatal("a negative size does not turn the memo off")
	}
}

// TestMemo_Concurrent runs readers of changing content under -race: each
// read returns the value of the bytes it was given.
func TestMemo_Concurrent(t *testing.T) {
	cd, decodes := countingCodec(64 << 10)
	versions := make([]entry, 8)
	for i := range versions {
		ts := sampleTopics()
		ts[0].Title = fmt.Sprint("v", i)
		versions[i], _ = encodeTopics(ts)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				// Each goroutine keeps a key's version for 25 reads (5
				// of each key), so the memo has hits to give even when the
				// goroutines do not overlap; they change it in turn.
				v := (g + i/25) % len(versions)
				key := fmt.Sprint("k", i%5)
				got, err := cd.value(key, versions[v])
				if err != nil || got[0].Title != fmt.Sprint("v", v) {
					errs <- fmt.Errorf("read of v%d at %s gave %+v, %v", v, key, got, err)
					return
				}
				got[0].Title = "scribbled"
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := decodes.Load(); n >= 2000 {
		t.Fatalf("2000 reads made %d decodes: the memo never hit", n)
	}
}

// BenchmarkMemo measures the memo on its own: hits on a working set that
// fits (the path of every cache hit of a decorator, one goroutine and
// all), and puts of new keys into a full memo (each one evicts).
//
//	go test -run '^$' -bench Memo -benchmem ./cache/
func BenchmarkMemo(b *testing.B) {
	const keys = 1024
	val := make([]byte, 512)
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprint("topics:user", i)
	}
	fill := func() *memo[int] {
		m := newMemo[int](0)
		for i, k := range names {
			m.put(k, entry{val: val}, i)
		}
		return m
	}
	b.Run("Get", func(b *testing.B) {
		m := fill()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := m.get(names[i%keys], entry{val: val}); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("GetParallel", func(b *testing.B) {
		m := fill()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(keys)
			for pb.Next() {
				if _, ok := m.get(names[i%keys], entry{val: val}); !ok {
					b.Error("miss")
					return
				}
				i++
			}
		})
	})
	b.Run("PutEvicting", func(b *testing.B) {
		m := newMemo[int](64 << 10) // about 40 items of val
		more := make([]string, 1<<16)
		for i := range more {
			more[i] = fmt.Sprint("topics:other", i)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.put(more[i%len(more)], entry{val: val}, i)
			i++
		}
	})
}
