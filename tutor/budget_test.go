package tutor_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/llm/llmtest"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
	"github.com/recallhq/recall/tutor"
)

// budgetLimiter is a Limiter deciding the llm policy (quota tokens a day)
// on the shared Redis under the test's own prefix, as one instance of a
// deployment does.
func budgetLimiter(t *testing.T, prefix string, quota float64) *ratelimit.Limiter {
	t.Helper()
	// A generous timeout: the shared Redis may answer late on a busy
	// machine, and a budget it does not answer for is another fallback
	// (budget_unknown) than the one this test counts.
	rc, err := redis.Connect(context.Background(), redistest.SharedURL, redis.Options{Prefix: prefix, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	ps := ratelimit.DefaultPolicies()
	// A day's window: its refill (quota/86,400 tokens a second) is nothing
	// over the test, however slowly it runs.
	if err := ps.Override(ratelimit.Policy{Name: ratelimit.PolicyLLM, Quota: quota, Window: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New(ratelimit.Config{Policies: ps, Backend: redis.NewRateLimiter(rc)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lim.Close)
	return lim
}

// replyBound is the most a recorded reply request could use: what the
// client reserves for it, an upper bound of its prompt's tokens (its bytes
// and a few tokens of framing per message) and its completion's maximum.
func replyBound(r llmtest.Request) int64 {
	n := int64(3) + r.MaxTokens
	for _, m := range r.Messages {
		n += int64(len(m.Content)) + 8
	}
	return n
}

// TestConversation_LLMBudgetUnderConcurrency sends waves of 50 messages at
// once for one user, each in a new conversation of its own, through two engines
// (two instances) whose LLM clients share the user's llm budget on Redis,
// until a wave gets no reply from the LLM: the tokens the model used never
// exceed the budget by more than one reply's maximum, nor fall short of it
// by more (what a reply reserved and did not use comes back), every reply
// not the LLM's is the rules' answer saying so, counted as an over-budget
// fallback, and no call over budget reaches the model.
func TestConversation_LLMBudgetUnderConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Redis: skipped under -short")
	}
	srv := llmtest.New(t)
	srv.Respond(func(llmtest.Request) string {
		return strings.Repeat("The Nile flows through Cairo on its way north to the sea [1]. ", 20)
	})
	e := newConvEnv(t, nil)
	prefix := redistest.Prefix(t)
	// A few replies' worth: 50 unchecked replies would use many times it.
	const budget = 5000
	const maxTokens = 64
	engines := make([]*tutor.Conversations, 2)
	for i := range engines {
		c, err := llm.New(llm.Config{BaseURL: srv.URL, Model: "test-model", Key: "sk-test", MaxTokens: maxTokens,
			Timeout: 30 * time.Second, Budget: budgetLimiter(t, prefix, budget), Metrics: e.m})
		if err != nil {
			t.Fatal(err)
		}
		cfg := e.cfg
		cfg.LLM = c
		engines[i] = tutor.NewConversations(cfg)
	}

	const messages = 50
	// Waves of 50 concurrent messages, until one gets no reply from the
	// LLM: the budget is spent, as far as any reply can tell.
	byLLM, fellBack := 0, 0
	for wave := 0; ; wave++ {
		if wave == 20 {
			t.Fatalf("20 waves of %d messages and the budget of %d tokens is still not spent", messages, budget)
		}
		// Fresh conversations: every reply's prompt, and so what it
		// reserves, is the same size.
		ids := make([]string, messages)
		for i := range ids {
			ids[i] = e.start().ID
		}
		replies := make([]*recall.Message, messages)
		errs := make([]error, messages)
		var wg sync.WaitGroup
		for i := range messages {
			wg.Go(func() {
				x, err := engines[i%2].Send(context.Background(), e.user.ID, ids[i], "Which river flows through Cairo?", "", nil)
				if err == nil {
					replies[i] = x.Reply
				}
				errs[i] = err
			})
		}
		wg.Wait()
		n := 0
		for i, r := range replies {
			switch {
			case errs[i] != nil:
				t.Fatalf("wave %d, message %d: %v", wave, i, errs[i])
			case r.Tutor == tutor.TutorLLM:
				n++
			case strings.Contains(r.Content, "could not answer just now") && strings.Contains(r.Content, "Answer: The Nile"):
				fellBack++
			default:
				t.Fatalf("wave %d, message %d: the rules answered without saying why: %q", wave, i, r.Content)
			}
		}
		byLLM += n
		if n == 0 {
			break
		}
	}
	used := testutil.ToFloat64(e.m.LLMTokens.WithLabelValues("reply", "prompt")) +
		testutil.ToFloat64(e.m.LLMTokens.WithLabelValues("reply", "completion"))
	var most int64
	for _, r := range srv.Requests() {
		most = max(most, replyBound(r))
	}
	t.Logf("budget %d tokens: %d replies by the LLM used %.0f tokens (one reply's maximum %d), %d fell back to the rules",
		budget, byLLM, used, most, fellBack)
	if used > budget+float64(most) {
		t.Errorf("the LLM used %.0f tokens of a budget of %d: more than one reply's maximum (%d) over it", used, budget, most)
	}
	// The last wave found no room for one reply: what was reserved and
	// not used came back when each reply settled.
	if used < budget-float64(most) {
		t.Errorf("the LLM used %.0f tokens of a budget of %d and no reply (at most %d) fitted: reservations were not settled", used, budget, most)
	}
	if byLLM == 0 || fellBack == 0 {
		t.Errorf("%d replies by the LLM, %d by the rules: the budget did not bind, or allowed nothing", byLLM, fellBack)
	}
	if len(srv.Requests()) != byLLM {
		t.Errorf("%d calls reached the model, %d replies are the LLM's: a call over budget was made", len(srv.Requests()), byLLM)
	}
	if n := testutil.ToFloat64(e.m.LLMFallbacks.WithLabelValues("reply", string(llm.ReasonOverBudget))); n != float64(fellBack) {
		t.Errorf("%v over-budget fallbacks counted, %d replies fell back", n, fellBack)
	}
}
