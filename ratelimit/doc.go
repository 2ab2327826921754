// Package ratelimit is Recall's rate limiter: named policies, their parser,
// a GCRA decided in one Redis script call for every policy of a request, a
// local GCRA for the embedded default and as the fallback, the IETF
// RateLimit headers, and the client address behind trusted proxies.
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
// With Redis, the script gcra.lua computes this in integer microseconds with
// Redis's own clock (TIME inside the script; no server clock takes part), for
// all the keys <prefix>rl:{<principal>}:<policy> of a request in one EVALSHA.
// The keys share the principal's hash tag, so this works on Redis Cluster,
// and each key expires when its TAT passes. The client is rueidis, so
// concurrent decisions are pipelined on shared connections; no lock is held
// across Redis I/O. Without Redis, the same arithmetic runs in nanoseconds in
// a sharded in-process map (one lock per decision, bounded in memory).
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
// Each Redis decision has a short timeout (Config.Timeout, 25 ms by default).
// After Config.BreakerThreshold consecutive failures a circuit breaker skips
// Redis for Config.BreakerCooldown, then lets one decision probe it. Without
// an answer from Redis the Config.Failure mode decides: "open" admits (only
// RateLimit-Policy is sent), "closed" refuses (Retry-After is the time until
// the next probe), "local" (the default) applies the local GCRA with every
// quota divided by the number of live instances, so the instances together
// admit about one quota, never quota × instances. That number is
// Config.Instances if set, otherwise the heartbeat count: every instance
// keeps its id in the sorted set <prefix>instances scored by Redis time,
// every HeartbeatInterval, and counts the members seen within InstanceTTL;
// the count last seen while Redis was up is used. A quota smaller than the
// instance count still admits one request per instance and per T × instances.
//
// Every outcome is counted in recall_ratelimit_decisions_total{policy,result}:
// allowed or fallback_allowed for every policy of an admitted request,
// limited or fallback_limited for each policy that refused one.
//
// See README.md for the benchmark procedure and figures.
package ratelimit
