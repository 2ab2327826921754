package main

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/redis/redistest"
)

// TestGateChargesOnlyTheTokensOwner: with the gate on (Redis without the
// near-cache), a request whose token claims a user is decided in the same
// script that checks the token; a token that does not prove to be the
// claimed user's (forged, with a stored value planted under the claimed
// user's key, revoked, expired) gets 401 and charges nobody's quota, and a
// valid one charges its owner.
func TestGateChargesOnlyTheTokensOwner(t *testing.T) {
	rs := redistest.StartServer(t)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{rs.Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := context.Background()
	const prefix = "gate:"
	clock := newClock()
	cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), rs.URL, prefix, false)
	// A quota whose state outlives the test's requests (a TAT key expires
	// when its TAT passes): 1,000 an hour keeps each key 3.6 s a request.
	cfg.RateLimits = []string{"default=1000/1h", "auth=1000000/1m", "writes=1000000/1m", "turns=1000000/1m"}
	srv := startServer(t, cfg, clock)
	alice, tokA := srv.signUp(t, "alice", "alice-password")
	bob, _ := srv.signUp(t, "bob", "bob-password")

	// tat reads the user's state of the default policy ("" if none).
	tat := func(userID string) string {
		t.Helper()
		v, err := rc.Do(ctx, rc.B().Get().Key(prefix+"rl:user:{"+userID+"}:default").Build()).ToString()
		if rueidis.IsRedisNil(err) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get := func(tok string) *apiResp {
		return srv.do(apiCall{method: "GET", path: "/v1/topics", token: tok})
	}
	// charged reports whether a request with tok changed the user's state.
	charged := func(userID, tok string, status int) bool {
		t.Helper()
		before := tat(userID)
		get(tok).want(t, status, nil)
		return tat(userID) != before
	}

	if !charged(alice.ID, tokA, 200) {
		t.Fatal("a valid request did not charge its owner")
	}
	if !charged(alice.ID, tokA, 200) {
		t.Fatal("a second valid request (token cached: through the gate) did not charge its owner")
	}

	// Forged: alice's secret under bob's id. Its key holds nothing; then a
	// copy of alice's cached token planted under it, which the script must
	// still refuse (another hash, another user).
	secret := tokA[len("rc_")+len(alice.ID)+1:]
	forged := "rc_" + bob.ID + "_" + secret
	if charged(bob.ID, forged, 401) || tat(bob.ID) != "" {
		t.Fatal("a forged token charged the user it claims")
	}
	sumA, sumF := sha256.Sum256([]byte(tokA)), sha256.Sum256([]byte(forged))
	val, err := rc.Do(ctx, rc.B().Get().Key(prefix+cache.UserTokenKey(alice.ID, sumA[:])).Build()).AsBytes()
	if err != nil {
		t.Fatalf("alice's token is not cached under her key: %v", err)
	}
	if err := rc.Do(ctx, rc.B().Set().Key(prefix+cache.UserTokenKey(bob.ID, sumF[:])).Value(rueidis.BinaryString(val)).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if charged(bob.ID, forged, 401) || tat(bob.ID) != "" {
		t.Fatal("a forged token with a planted cache entry charged the user it claims")
	}

	// Revoked: the token's cached copy goes with it; no one is charged.
	srv.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: tokA}).want(t, 204, nil)
	if charged(alice.ID, tokA, 401) {
		t.Fatal("a revoked token charged its former owner")
	}

	// Expired: still cached in Redis (its entry lives a minute), refused by
	// the script's expiry check at the server's clock.
	tokB := srv.signIn(t, "alice", "alice-password")
	if !charged(alice.ID, tokB, 200) || !charged(alice.ID, tokB, 200) {
		t.Fatal("a valid request did not charge its owner")
	}
	clock.Add(recall.TokenLifetime)
	if charged(alice.ID, tokB, 401) {
		t.Fatal("an expired token charged its owner")
	}
}
