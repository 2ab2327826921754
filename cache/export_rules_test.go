package cache

import (
	"sort"

	"github.com/recallhq/recall"
)

// RuleMethods returns the "Interface.Method" names of the rows of the
// invalidation table, sorted (tests).
func RuleMethods() []string {
	var names []string
	for name := range invalidationRules() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// RuleWhy returns the reason of the row of method (tests).
func RuleWhy(method string) string { return invalidationRules()[method].why }

// RuleHasCondition reports whether the row of method has a condition (tests).
func RuleHasCondition(method string) bool { return invalidationRules()[method].when != nil }

// RuleKeys returns the keys the row of method drops for a write that names
// userID, topicID, hash and the session s (with a review if reviewed), and
// whether there is such a row (tests).
func RuleKeys(method, userID, topicID string, hash []byte, s *recall.Session, reviewed bool) ([]string, bool) {
	r, ok := invalidationRules()[method]
	if !ok {
		return nil, false
	}
	return r.keys(write{userID: userID, topicID: topicID, tokenHash: hash, session: s, reviewed: reviewed}), true
}
