package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
)

// TestNearCache_ReadYourWrites: the instance that writes reads its write at
// once, even while other goroutines keep its near-cache warm; another
// instance stops serving the old value when Redis's push arrives.
func TestNearCache_ReadYourWrites(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		a := newInstance(db, k.new(t, space), cache.Options{})
		b := newInstance(db, k.new(t, space), cache.Options{})
		u := f.user()
		tp := f.newTopic(u, "v0")
		if err := a.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 { // keep both near-caches warm
			for _, in := range []*instance{a, b} {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(50 * time.Microsecond):
						}
						if _, err := in.topics.Topics(ctx, u.ID); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
		}
		var worst time.Duration
		staleReads := 0
		for i := 1; i <= 50; i++ {
			title := "v" + strconv.Itoa(i)
			if _, err := a.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp(title)}, f.tick()); err != nil {
				t.Fatal(err)
			}
			acked := time.Now()
			if got, err := a.topics.Topic(ctx, u.ID, tp.ID); err != nil || got.Title != title {
				t.Fatalf("write %d: the writing instance read %q, %v; want %q", i, got.Title, err, title)
			}
			for {
				start := time.Now()
				got, err := b.topics.Topic(ctx, u.ID, tp.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Title == title {
					break
				}
				// A stale read on another instance: it started this long
				// after the write was acknowledged.
				staleReads++
				worst = max(worst, start.Sub(acked))
				if time.Since(acked) > 2*time.Second {
					t.Fatalf("write %d: another instance still reads %q after 2s", i, got.Title)
				}
			}
		}
		close(stop)
		wg.Wait()
		if k.name == "redis" && staleReads > 0 {
			t.Fatalf("without the near-cache another instance read stale data %d times", staleReads)
		}
		t.Logf("50 writes: %d stale reads on another instance, the latest started %v after the write was acknowledged", staleReads, worst)
	})
}

// TestCoherence: three instances share one database and one Redis; each
// writer owns a topic and writes it through random instances, readers read
// through random instances. A read that starts after a write was
// acknowledged must not return older data. Without the near-cache this
// holds strictly; with it, a read may be stale on another instance until
// Redis's push arrives: the largest window is reported.
func TestCoherence(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		var ins []*instance
		for range 3 {
			ins = append(ins, newInstance(db, k.new(t, space), cache.Options{}))
		}
		u := f.user()
		const writers = 3
		type state struct {
			mu      sync.Mutex
			title   int               // last acknowledged title
			titleAt map[int]time.Time // when each title was acknowledged
			bank    int               // acknowledged bank size
			bankAt  []time.Time       // bankAt[i]: when the bank reached i+1
		}
		var topics [writers]*recall.Topic
		var states [writers]state
		for i := range states {
			states[i].titleAt = map[int]time.Time{}
		}
		// since returns how long before start the first write newer than
		// what a stale read saw was acknowledged.
		since := func(st *state, start time.Time, title, bank int) time.Duration {
			st.mu.Lock()
			defer st.mu.Unlock()
			var d time.Duration
			for n := title + 1; n <= st.title; n++ {
				if at, ok := st.titleAt[n]; ok {
					d = start.Sub(at)
					break
				}
			}
			if bank < len(st.bankAt) {
				d = max(d, start.Sub(st.bankAt[bank]))
			}
			return d
		}
		for i := range topics {
			topics[i] = f.newTopic(u, "0")
			if err := ins[0].topics.CreateTopic(ctx, topics[i]); err != nil {
				t.Fatal(err)
			}
		}
		var (
			reads, stale atomic.Int64
			worstMu      sync.Mutex
			worst        time.Duration
		)
		staleBy := func(d time.Duration) {
			stale.Add(1)
			worstMu.Lock()
			worst = max(worst, d)
			worstMu.Unlock()
		}
		deadline := time.Now().Add(1500 * time.Millisecond)
		var wg sync.WaitGroup
		var qmu sync.Mutex // the fixture's clock is not safe for concurrent use
		for w := range writers {
			wg.Go(func() {
				tp, st := topics[w], &states[w]
				for n := 1; time.Now().Before(deadline); n++ {
					in := ins[rand.IntN(len(ins))]
					if n%4 == 0 {
						qmu.Lock()
						qs := f.newQuestions(tp, 1)
						qmu.Unlock()
						if err := in.questions.AddQuestions(ctx, u.ID, tp.ID, qs); err != nil {
							t.Error(err)
							return
						}
						st.mu.Lock()
						st.bank++
						st.bankAt = append(st.bankAt, time.Now())
						st.mu.Unlock()
						continue
					}
					if _, err := in.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp(strconv.Itoa(n))}, time.Now()); err != nil {
						t.Error(err)
						return
					}
					st.mu.Lock()
					st.title = n
					st.titleAt[n] = time.Now()
					st.mu.Unlock()
				}
			})
		}
		for range 6 {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					// A short pause keeps the two cores from saturating, so
					// that the window measures Redis's push, not the
					// scheduler.
					time.Sleep(100 * time.Microsecond)
					in := ins[rand.IntN(len(ins))]
					w := rand.IntN(writers)
					st := &states[w]
					st.mu.Lock()
					floorTitle, floorBank := st.title, st.bank
					st.mu.Unlock()
					start := time.Now()
					reads.Add(1)
					if rand.IntN(2) == 0 {
						got, err := in.topics.Topic(ctx, u.ID, topics[w].ID)
						if err != nil {
							t.Error(err)
							return
						}
						n, _ := strconv.Atoi(got.Title)
						if n < floorTitle || len(got.QuestionIDs) < floorBank {
							staleBy(since(st, start, min(n, floorTitle), min(len(got.QuestionIDs), floorBank)))
						}
					} else {
						qs, err := in.questions.Questions(ctx, topics[w].UserID, topics[w].ID)
						if err != nil {
							t.Error(err)
							return
						}
						if len(qs) < floorBank {
							staleBy(since(st, start, floorTitle, len(qs)))
						}
					}
				}
			})
		}
		wg.Wait()
		msg := fmt.Sprintf("%d reads, %d stale, largest staleness window %v", reads.Load(), stale.Load(), worst)
		t.Log(msg)
		if k.name == "redis" && stale.Load() > 0 {
			t.Fatalf("without the near-cache no read may be stale: %s", msg)
		}
		if worst > time.Second {
			t.Fatalf("stale data lived too long: %s", msg)
		}
	})
}
