// Package ratelimit is Recall's rate limiter: named policies, their parser,
// the Limiter that decides every policy of a request in one step (through a
// shared Backend, or a local GCRA for the embedded default and as the
// fallback), the IETF RateLimit headers, the decision metrics, and the
// client address behind trusted proxies. The Redis Backend is
// redis.RateLimiter; this package does not import a Redis client.
//
// # Algorithm
//
// Each policy allows Quota requests per Window with the generic cell rate
// algorithm (GCRA). Its emission interval is T = floor(Window/Quota) and its
// tolerance tau = max(Window, T); a principal's state is one theoretical
// arrival time (TAT) per policy. A request at time now is admitted when, for
// every policy of the request,
//
//	max(TAT, now) + T - now <= tau
//
// and then every TAT becomes max(TAT, now) + T. So a rested principal gets
// floor(Quota) requests at once (at least one) and then one every T; a
// fractional quota refills its fraction first (1.5/1s admits at 0, at 1/3 s,
// then every 2/3 s). T is floored to the unit of computation (1 µs in Redis,
// 1 ns locally), which errs, by less than that unit per request, on the side
// of admitting. If any
// policy refuses, no TAT changes: a refused request consumes nothing.
//
// A Backend receives each policy as a Rule (T and tau in whole
// microseconds) and decides with its own clock. The Redis one runs the
// script redis/gcra.lua, in integer microseconds with Redis's clock (TIME
// inside the script; no server clock takes part), for all the keys
// <prefix>rl:<kind>:{<id>}:<policy> of a request's principal "<kind>:<id>"
// in one EVALSHA (a user's are rl:user:{<id>}:<policy>, under the user's
// hash tag). The keys share the principal's hash tag, so this works on
// Redis Cluster, and each
// key expires when its TAT passes. Concurrent decisions are pipelined on the
// shared connections of the redis.Client; no lock is held across its I/O.
// Without a Backend, the same arithmetic runs in nanoseconds in process
// (local.go: one lock per principal's decision, bounded in memory).
//
// # Weighted decisions
//
// A budget such as the policy "llm" (LLM tokens per user per day, 50,000/1d
// by default) costs units, not requests. Reserve takes n units in one
// decision with the same arithmetic: the TAT advances by n*T and the
// decision is admitted when max(TAT, now) + n*T - now <= tau (the Backend
// receives the Rule with Interval n*T; the script is unchanged but for a
// refund reaching rest deleting the key). A reservation is made for the
// most a call may spend, before the call; Settle brings it to what was
// used: a refund moves the TAT back by (reserved - used)*T (never before
// now), an excess moves it forward unconditionally. So any number of
// concurrent spenders admit no more than the budget, each having paid its
// maximum up front. Reserve never uses the fallback: when the Backend does
// not answer it returns ErrBudgetUnknown, and over budget ErrOverBudget,
// so the caller does without (the rule-based tutor answers).
//
// # Headers
//
// RateLimit-Policy lists every policy of the request as
// `"name";q=Q;w=W` where Q is the burst, floor(Quota) (at least 1), and W is
// the window in whole seconds, rounded up. RateLimit lists
// `"name";r=R;t=S` where, with d = TAT - now after the decision,
//
//   - R = floor((tau - d)/T): the requests that would be admitted right now;
//   - S = ceil(d) in seconds: the time until the whole quota is available
//     again (0 for a rested principal).
//
// When a request is refused, Limit returns retryAfter = max over the refusing
// policies of d + T - tau: a retry at that moment is admitted (all policies
// then satisfy the condition above), and any earlier one is not, provided
// nothing else consumed the quota meanwhile. The HTTP server rounds it up to
// whole seconds for Retry-After.
//
// # Failure
//
// The Backend bounds its calls and knows when its store is down. The Redis
// one goes through the redis.Client shared with the caches: every decision
// waits at most the Client's timeout (--redis-timeout, 100 ms by default),
// and after the Client's breaker threshold of consecutive failures (5 by
// default, counting every Redis call of the process) its circuit breaker
// skips Redis for a cool-down (1 s), then lets one call probe it. Without an
// answer from the Backend the Config.Failure mode decides: "open" admits (only
// RateLimit-Policy is sent), "closed" refuses (Retry-After is the time until
// the next probe), "local" (the default) applies the local GCRA with every
// quota divided by the number of live instances, so the instances together
// admit about one quota, never quota × instances. That number is
// Config.Instances if set, otherwise the heartbeat count: every instance
// keeps its id in the sorted set <prefix>instances scored by Redis time,
// every HeartbeatInterval, and counts the members seen within InstanceTTL;
// the count last seen while Redis answered is used. The Limiter logs once
// when a failed decision finds the Backend down and once when a decision
// goes through it again. A quota smaller than the
// instance count still admits one request per instance and per T × instances.
//
// Every outcome is counted in recall_ratelimit_decisions_total{policy,result}:
// allowed or fallback_allowed for every policy of an admitted request,
// limited or fallback_limited for each policy that refused one.
//
// The contract every way of deciding must meet (exact under concurrency,
// all or nothing, Retry-After) is the suite in ratelimittest, run against
// the in-process limiter, Redis and a Redis Cluster. See README.md for the
// benchmark procedure and figures.
package ratelimit
