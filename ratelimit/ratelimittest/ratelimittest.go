// Package ratelimittest holds the contract suite that every way of deciding
// rate limits must pass: the in-process Limiter, and Limiters sharing a
// ratelimit.Backend (Redis, Redis Cluster). The ratelimit and redis packages
// run it from their tests.
//
// Weighted decisions (Reserve, Settle) are held to the same exactness:
// units reserved by several deciders at once never exceed the budget, and
// settlements leave exactly the budget less what was used.
//
// Every verdict holds whatever the scheduler does: policies whose refill is
// far longer than a test (one per 72 s, one per 36 s) make "exactly the
// quota" independent of how long a burst takes, and Retry-After is checked
// against bounds measured around the calls rather than against sleeps.
package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall/ratelimit"
)

// NewDeciders returns n Limiters that know the policies ps and share their
// state, as instances of one deployment do (the in-process limiter: one
// Limiter n times), and closes them when the test ends. Each call starts
// from a clean state (for Redis: a fresh key prefix).
type NewDeciders func(t *testing.T, ps ratelimit.Policies, n int) []*ratelimit.Limiter

func policies(ps ...ratelimit.Policy) ratelimit.Policies {
	set := ratelimit.Policies{}
	for _, p := range ps {
		set[p.Name] = p
	}
	return set
}

// Run runs the contract suite.
func Run(t *testing.T, newDeciders NewDeciders) {
	t.Run("Exact", func(t *testing.T) { exact(t, newDeciders) })
	t.Run("AllOrNothing", func(t *testing.T) { allOrNothing(t, newDeciders) })
	t.Run("RetryAfter", func(t *testing.T) { retryAfter(t, newDeciders) })
	t.Run("Headers", func(t *testing.T) { headers(t, newDeciders) })
	t.Run("Weighted", func(t *testing.T) { weighted(t, newDeciders) })
	t.Run("Settle", func(t *testing.T) { settle(t, newDeciders) })
}

// exact: 300 concurrent requests over 3 deciders admit exactly the quota of
// 50, and the refused ones consume nothing of the request's other policy.
func exact(t *testing.T, newDeciders NewDeciders) {
	// burst refills one request per 72 s, other one per 3.6 s: neither
	// within any plausible length of the burst, checked below anyway.
	ls := newDeciders(t, policies(
		ratelimit.Policy{Name: "burst", Quota: 50, Window: time.Hour},
		ratelimit.Policy{Name: "other", Quota: 1000, Window: time.Hour}), 3)
	const requests = 300
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range requests {
		wg.Go(func() {
			<-start
			if ok, _ := ls[i%len(ls)].Limit(context.Background(), "user:alice", []string{"burst", "other"}, nil); ok {
				admitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if took := time.Since(began); took >= 3600*time.Millisecond {
		t.Fatalf("the burst took %v, longer than a refill of other: the verdicts below would not be exact", took)
	}
	if got := admitted.Load(); got != 50 {
		t.Fatalf("%d concurrent requests over %d deciders admitted %d, want the quota of 50", requests, len(ls), got)
	}
	// The refused requests consumed nothing of "other": 1000 - 50 - this one.
	h := http.Header{}
	if ok, _ := ls[0].Limit(context.Background(), "user:alice", []string{"other"}, h); !ok {
		t.Fatal("other refused")
	}
	var r, s int
	if _, err := fmt.Sscanf(h.Get("RateLimit"), `"other";r=%d;t=%d`, &r, &s); err != nil || r != 949 {
		t.Fatalf("RateLimit = %q (%v), want r=949", h.Get("RateLimit"), err)
	}
}

// allOrNothing: a request refused by one policy consumes none of the other,
// and its Retry-After is the refusing policy's wait.
func allOrNothing(t *testing.T, newDeciders NewDeciders) {
	l := newDeciders(t, policies(
		ratelimit.Policy{Name: "small", Quota: 2, Window: time.Hour},
		ratelimit.Policy{Name: "big", Quota: 100, Window: time.Hour}), 1)[0]
	ctx := context.Background()
	h := http.Header{}
	began := time.Now()
	for i := range 5 {
		ok, ra := l.Limit(ctx, "user:bob", []string{"small", "big"}, h)
		if ok != (i < 2) {
			t.Fatalf("request %d: ok=%v", i, ok)
		}
		// Refused by small alone: its wait, T = 30 min less the time
		// since the first request, not big's.
		if !ok && (ra > 30*time.Minute || ra < 30*time.Minute-time.Since(began)) {
			t.Fatalf("request %d: retryAfter %v, want 30m less at most %v", i, ra, time.Since(began))
		}
	}
	// big: 2 admitted (t = 72 s ahead at most), 3 refused that took nothing.
	var r1, s1, r2, s2 int
	if _, err := fmt.Sscanf(h.Get("RateLimit"), `"small";r=%d;t=%d, "big";r=%d;t=%d`, &r1, &s1, &r2, &s2); err != nil ||
		r1 != 0 || r2 != 98 || s2 > 72 {
		t.Fatalf("RateLimit after refusals = %q (%v), want small r=0 and big untouched at r=98", h.Get("RateLimit"), err)
	}
	if ok, _ := l.Limit(ctx, "user:bob", []string{"big"}, h); !ok {
		t.Fatal("big refused")
	}
	if _, err := fmt.Sscanf(h.Get("RateLimit"), `"big";r=%d;t=%d`, &r2, &s2); err != nil || r2 != 97 {
		t.Fatalf("RateLimit = %q (%v), want r=97", h.Get("RateLimit"), err)
	}
}

// retryAfter: a refused request's Retry-After is never later than the
// emission interval, never earlier than a retry can succeed, and a retry
// once it has passed is admitted. The bounds are measured around the calls,
// so a slow machine changes the figures, not the verdicts.
func retryAfter(t *testing.T, newDeciders NewDeciders) {
	const T = time.Second // 2 per 2 s
	l := newDeciders(t, policies(ratelimit.Policy{Name: "p", Quota: 2, Window: 2 * time.Second}), 1)[0]
	ctx := context.Background()
	first := time.Now()
	for range 2 {
		if ok, _ := l.Limit(ctx, "user:carol", []string{"p"}, nil); !ok {
			t.Fatal("refused within the burst")
		}
	}
	before := time.Now()
	ok, ra := l.Limit(ctx, "user:carol", []string{"p"}, nil)
	after := time.Now()
	if ok {
		if after.Sub(first) < T {
			t.Fatal("3rd request admitted within T of the first")
		}
		t.Skipf("the machine took %v for three decisions; the refill came first", after.Sub(first))
	}
	// ra = TAT - T - now, with TAT = (time of the first admission) + 2T,
	// the first admission within [first, before] and now within
	// [first, after].
	if ra <= 0 || ra > T || ra < T-after.Sub(first) {
		t.Fatalf("3rd request: retryAfter=%v, want within (0, %v] and at least %v", ra, T, T-after.Sub(first))
	}
	// Asked again at once: refused, with no longer a wait.
	ok2, ra2 := l.Limit(ctx, "user:carol", []string{"p"}, nil)
	after2 := time.Now()
	if !ok2 && ra2 > ra {
		t.Fatalf("asked again: retryAfter %v, longer than the first answer %v", ra2, ra)
	}
	if ok2 && time.Since(before) < ra {
		t.Fatalf("admitted %v after a Retry-After of %v", time.Since(before), ra)
	}
	// Once retryAfter has passed since the answer, a retry is admitted.
	if !ok2 {
		time.Sleep(time.Until(after2.Add(ra2)))
		if ok, ra3 := l.Limit(ctx, "user:carol", []string{"p"}, nil); !ok {
			t.Fatalf("refused after its Retry-After of %v (another %v)", ra2, ra3)
		}
	}
}

// headers: 18 turns (turns=30/1m, default=600/1m) leave 12 turns and 582
// requests; the policies and the state are reported in the IETF format.
func headers(t *testing.T, newDeciders NewDeciders) {
	ps := ratelimit.DefaultPolicies()
	if err := ps.Override(ratelimit.Policy{Name: "turns", Quota: 30, Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	l := newDeciders(t, ps, 1)[0]
	h := http.Header{}
	began := time.Now()
	for range 18 {
		if ok, _ := l.Limit(context.Background(), "user:dave", []string{"turns", "default"}, h); !ok {
			t.Fatal("refused within the quota")
		}
	}
	took := time.Since(began)
	if got, want := h.Get("RateLimit-Policy"), `"turns";q=30;w=60, "default";q=600;w=60`; got != want {
		t.Fatalf("RateLimit-Policy = %q, want %q", got, want)
	}
	var rt, st, rd, sd int
	if _, err := fmt.Sscanf(h.Get("RateLimit"), `"turns";r=%d;t=%d, "default";r=%d;t=%d`, &rt, &st, &rd, &sd); err != nil {
		t.Fatalf("RateLimit = %q: %v", h.Get("RateLimit"), err)
	}
	// turns: 18 × 2 s used of 60 s, less what refilled while the 18 ran.
	// default: 18 × 0.1 s.
	refT, refD := int(took/(2*time.Second)), int(took/(100*time.Millisecond))
	if rt < 12 || rt > 12+refT || st > 36 || st < 36-int(took/time.Second)-1 ||
		rd < 582 || rd > 582+refD || sd > 2 {
		t.Fatalf("RateLimit = %q after 18 turns in %v, want turns r=12 t=36, default r=582 t=2 (less the refill)", h.Get("RateLimit"), took)
	}
}

// weighted: three deciders reserving random weights of a 10,000-unit budget
// concurrently admit no more than the budget, and no less than the budget
// less the largest weight (a refusal means less than its weight was left).
func weighted(t *testing.T, newDeciders NewDeciders) {
	// One unit per 8.64 s: nothing refills within the test (checked).
	const budget, maxWeight = 10000, 400
	ls := newDeciders(t, policies(ratelimit.Policy{Name: "tokens", Quota: budget, Window: 24 * time.Hour}), 3)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
	weights := make([]int64, 120)
	for i := range weights {
		weights[i] = 1 + rng.Int64N(maxWeight)
	}
	var admitted, refused atomic.Int64
	withinRefill(t, len(weights), func(i int) {
		w := weights[i]
		_, _, err := ls[i%len(ls)].Reserve(context.Background(), "user:erin", "tokens", w)
		switch {
		case err == nil:
			admitted.Add(w)
		case errors.Is(err, ratelimit.ErrOverBudget):
			refused.Add(1)
		default:
			t.Errorf("reserve %d: %v", w, err)
		}
	})
	got := admitted.Load()
	if got > budget {
		t.Fatalf("%d reservations over %d deciders admitted %d units, over the budget of %d", len(weights), len(ls), got, budget)
	}
	if refused.Load() == 0 || got <= budget-maxWeight {
		t.Fatalf("admitted %d units with %d refusals, want between %d and %d with some refused", got, refused.Load(), budget-maxWeight+1, budget)
	}
	// What is left is exactly the budget less what was admitted.
	if left := budget - got; left > 0 {
		if _, _, err := ls[1].Reserve(context.Background(), "user:erin", "tokens", left); err != nil {
			t.Fatalf("reserving the %d units left: %v", left, err)
		}
	}
	_, retry, err := ls[2].Reserve(context.Background(), "user:erin", "tokens", 1)
	if !errors.Is(err, ratelimit.ErrOverBudget) || retry <= 0 || retry > 8640*time.Millisecond {
		t.Fatalf("reserving 1 unit of a spent budget: retry %v, %v; want ErrOverBudget within one unit's refill", retry, err)
	}
}

// settle: 50 concurrent spenders over three deciders reserve a reply's
// maximum, use part of it and settle; they never spend more than the budget
// together, and the budget ends exactly where their use puts it. A spender
// that used more than it reserved is charged the excess.
func settle(t *testing.T, newDeciders NewDeciders) {
	const budget, maxReply = 10000, 500
	ls := newDeciders(t, policies(ratelimit.Policy{Name: "tokens", Quota: budget, Window: 24 * time.Hour}), 3)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	uses := make([]int64, 50)
	for i := range uses {
		uses[i] = rng.Int64N(maxReply + 1)
	}
	var spent atomic.Int64
	withinRefill(t, len(uses), func(i int) {
		r, _, err := ls[i%len(ls)].Reserve(context.Background(), "user:frank", "tokens", maxReply)
		if errors.Is(err, ratelimit.ErrOverBudget) {
			return
		}
		if err != nil {
			t.Errorf("reserve: %v", err)
			return
		}
		if r.Reserved() != maxReply {
			t.Errorf("Reserved() = %d, want %d", r.Reserved(), maxReply)
		}
		if err := r.Settle(context.Background(), uses[i]); err != nil {
			t.Errorf("settle %d: %v", uses[i], err)
			return
		}
		// A second settlement changes nothing.
		if err := r.Settle(context.Background(), 0); err != nil {
			t.Errorf("settle again: %v", err)
		}
		spent.Add(uses[i])
	})
	used := spent.Load()
	if used > budget {
		t.Fatalf("50 concurrent spenders used %d, more than the budget of %d", used, budget)
	}
	// Exactly budget - used is left: it can be reserved, one more cannot.
	left := budget - used
	if left > 0 {
		r, _, err := ls[0].Reserve(context.Background(), "user:frank", "tokens", left)
		if err != nil {
			t.Fatalf("used %d of %d; reserving the %d left: %v", used, budget, left, err)
		}
		// Settling the last reservation at its whole amount keeps it.
		if err := r.Settle(context.Background(), left); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := ls[2].Reserve(context.Background(), "user:frank", "tokens", 1); !errors.Is(err, ratelimit.ErrOverBudget) {
		t.Fatalf("used %d of %d and reserved the rest; one more unit: %v, want ErrOverBudget", used, budget, err)
	}
	// A reply that ran over its reservation is charged the excess.
	r, _, err := ls[1].Reserve(context.Background(), "user:hal", "tokens", 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Settle(context.Background(), 150); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ls[2].Reserve(context.Background(), "user:hal", "tokens", budget-149); !errors.Is(err, ratelimit.ErrOverBudget) {
		t.Fatalf("after using 150: reserving %d: %v, want ErrOverBudget", budget-149, err)
	}
	if _, _, err := ls[0].Reserve(context.Background(), "user:hal", "tokens", budget-150); err != nil {
		t.Fatalf("after using 150: reserving the %d left: %v", budget-150, err)
	}
	// Reservations beyond the whole budget, or of nothing, or of an unknown
	// policy, are refused with an error.
	if _, _, err := ls[0].Reserve(context.Background(), "user:gina", "tokens", budget+1); !errors.Is(err, ratelimit.ErrOverBudget) {
		t.Fatalf("reserving more than the whole budget: %v, want ErrOverBudget", err)
	}
	if _, _, err := ls[0].Reserve(context.Background(), "user:gina", "tokens", 0); err == nil {
		t.Fatal("reserving 0 units: no error")
	}
	if _, _, err := ls[0].Reserve(context.Background(), "user:gina", "nope", 1); err == nil || errors.Is(err, ratelimit.ErrOverBudget) {
		t.Fatalf("reserving an unknown policy: %v", err)
	}
}

// withinRefill runs f(0..n-1) concurrently, all released at once, and fails
// the test if they took longer than one unit's refill of a 10,000/1d budget
// (8.64 s): the verdicts that follow count on nothing refilling.
func withinRefill(t *testing.T, n int, f func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
	if took := time.Since(began); took >= 8*time.Second {
		t.Fatalf("%d concurrent calls took %v, longer than a refill: the verdicts would not be exact", n, took)
	}
}
