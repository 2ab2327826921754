package cache

import (
	"encoding/hex"

	"github.com/recallhq/recall"
)

// This file is the one place that says which cached keys a write drops.
// Every write method of the store interfaces of package recall (TopicStore,
// QuestionStore, SessionStore, UserStore, TokenStore, MemoryStore,
// ConversationStore) has one row in
// invalidationRules, writes that drop nothing included, with the reason.
// The decorators look their rule up after the inner store has committed
// (see core.after); nothing else in the code base decides what to drop.
// A test walks the interfaces by reflection and fails on a write without a
// row, and drives every row through the decorators.
//
// Adding a cached value (a user's learning state per topic, a conversation)
// is one key kind below and its name in the rows of the writes that change
// it; a new write method is one row.

// write is what a write names: the ids its keys are made of, and the
// session it stores, which the rules' conditions look at.
type write struct {
	userID    string
	topicID   string
	tokenHash []byte
	// session is the session a SessionStore write stores, or nil.
	session *recall.Session
	// reviewed says that a turn carries a review (recall.Turn.Review).
	reviewed bool
}

// keyKind is one kind of cached key: it returns the key a write names, or ""
// if the write does not name one (an empty id).
type keyKind func(w write) string

// topicList is the topic list of the write's user: topics:{<user_id>}.
func topicList(w write) string { return keyOf(w.userID, topicsKey) }

// questionBank is the question bank of the write's topic, under its owner:
// questions:{<user_id>}:<topic_id>.
func questionBank(w write) string { return keyOfTopic(w, questionsKey) }

// tokenEntry is the bearer token of the write's hash: token:{<hex hash>}.
func tokenEntry(w write) string { return keyOf(hex.EncodeToString(w.tokenHash), tokenKey) }

// userTokenEntry is the bearer token of the write's hash under its user:
// token:{<user_id>}:<hex hash>.
func userTokenEntry(w write) string {
	if w.userID == "" || len(w.tokenHash) == 0 {
		return ""
	}
	return userTokenKey(w.userID, hex.EncodeToString(w.tokenHash))
}

// userEntry is the write's user: user:{<user_id>}.
func userEntry(w write) string { return keyOf(w.userID, userKey) }

// topicMemories is the owner's memory states of the write's topic,
// memories:{<user_id>}:<topic_id>.
func topicMemories(w write) string { return keyOfTopic(w, memoriesKey) }

// reviewedMemories is the write's user's memory states of its topic,
// memories:{<user_id>}:<topic_id>, named by a turn with a review only.
func reviewedMemories(w write) string {
	if !w.reviewed {
		return ""
	}
	return topicMemories(w)
}

// reviewedDays is the write's user's days of study, days:{<user_id>},
// named by a turn with a review only.
func reviewedDays(w write) string {
	if !w.reviewed {
		return ""
	}
	return keyOf(w.userID, daysKey)
}

// completedTopicList is the topic list of the write's user, named by a turn
// that completes its session only.
func completedTopicList(w write) string {
	if !completesSession(w) {
		return ""
	}
	return topicList(w)
}

// keyOf returns key(id), or "" for an empty id.
func keyOf(id string, key func(string) string) string {
	if id == "" {
		return ""
	}
	return key(id)
}

// keyOfTopic returns key(user, topic) of the write, or "" if it lacks
// either id.
func keyOfTopic(w write, key func(userID, topicID string) string) string {
	if w.userID == "" || w.topicID == "" {
		return ""
	}
	return key(w.userID, w.topicID)
}

// drops lists the kinds a rule drops; none is the empty list.
func drops(kinds ...keyKind) []keyKind { return kinds }
func none() []keyKind                  { return nil }

// Conditions of a rule, tested once the write may have committed.
func always(write) bool { return true }

// completesSession holds for a turn that leaves its session completed.
func completesSession(w write) bool {
	return w.session != nil && w.session.State == recall.SessionCompleted
}

// rule is one row of the table.
type rule struct {
	drops []keyKind
	// when says whether the write drops its keys; a write the store
	// refused (see mayHaveWritten) drops nothing whatever it says.
	when func(write) bool
	why  string
}

// invalidationRules returns the table, keyed by "Interface.Method".
func invalidationRules() map[string]rule {
	return map[string]rule{
		// TopicStore: the topic list of a user holds every topic with its
		// title, description, question ids, stats and dates.
		"TopicStore.CreateTopic": {drops(topicList), always,
			"the owner's list gains the topic"},
		"TopicStore.UpdateTopic": {drops(topicList), always,
			"the list holds the title, the description and UpdatedAt, which orders it"},
		"TopicStore.DeleteTopic": {drops(topicList, questionBank, topicMemories), always,
			"the topic leaves its owner's list and its bank is deleted with it, with the owner's memory " +
				"states of its questions (a topic's questions are only its owner's to study); its sessions are " +
				"not dropped here: a turn on a cached one finds the bank empty and the topic gone"},

		// QuestionStore: a bank is cached whole; the owner's list holds the
		// topic's question ids and UpdatedAt, which every bank write sets.
		"QuestionStore.AddQuestions": {drops(questionBank, topicList), always,
			"the bank grows; the list's question ids and the topic's UpdatedAt change"},
		"QuestionStore.UpdateQuestion": {drops(questionBank, topicList), always,
			"the question changes in the bank; the topic's UpdatedAt changes in the list"},
		"QuestionStore.DeleteQuestion": {drops(questionBank, topicList, topicMemories), always,
			"the question leaves the bank and the list's question ids, its memory state goes with it; " +
				"UpdatedAt changes"},

		// SessionStore: session state is kept by the SessionCache, which the
		// tutor engine updates by version (Put refuses an older version),
		// never by dropping keys here.
		"SessionStore.CreateSession": {none(), always,
			"a topic's stats count completed sessions only, and the engine puts the new session " +
				"into the session cache itself"},
		"SessionStore.SaveTurn": {drops(completedTopicList, reviewedMemories, reviewedDays), always,
			"a turn that completes its session changes the topic's stats in the owner's list; a turn " +
				"with a review changes the user's memory states of the topic and may add a day of study; " +
				"no other cached key changes (the session cache gets the new version by Put)"},

		// ConversationStore: conversation state is kept by the
		// ConversationCache, which the tutor updates by version (Put refuses
		// an older version) and drops on delete; no cached key holds a
		// conversation, so no write drops one here (and no decorator wraps
		// the interface).
		"ConversationStore.CreateConversation": {none(), always,
			"no cached key lists conversations; the engine puts the new one into the conversation cache"},
		"ConversationStore.SaveConversation": {none(), always,
			"only the conversation changes, and the conversation cache gets its new version by Put"},
		"ConversationStore.DeleteConversation": {none(), always,
			"no cached key lists conversations; the engine drops the conversation from its cache"},

		// UserStore: a user is cached by id with its settings.
		"UserStore.CreateUser": {none(), always,
			"no key names a user that does not exist yet (unknown users are never cached)"},
		"UserStore.UpdateUser": {drops(userEntry), always,
			"the cached user holds the settings it changes"},
		"UserStore.SetAdmin": {drops(userEntry), always,
			"the cached user holds the role, which GET /v1/ops checks on every request: a revoked " +
				"admin must be refused at once on every instance"},

		// TokenStore: tokens are cached by hash, unknown hashes never.
		"TokenStore.CreateToken": {none(), always,
			"unknown tokens are never cached, so no entry holds the new hash"},
		"TokenStore.DeleteToken": {drops(tokenEntry, userTokenEntry), always,
			"a revoked token must stop working at once in every process, looked up by its hash or by its user"},
	}
}

// keys returns the keys r drops for w: none if its condition does not hold.
func (r rule) keys(w write) []string {
	if !r.when(w) {
		return nil
	}
	var keys []string
	for _, k := range r.drops {
		if key := k(w); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

// refillTarget is a dropped key that a writer puts back (Options.Refill):
// the cache that knows how to load it, and the ids its key is made of
// (topicID is empty for a key of the user's alone).
type refillTarget struct {
	key     string
	cache   string
	userID  string
	topicID string
}

// refills returns which of the keys that method dropped for w are put back
// off the request path: the topic list and the question bank, which every
// page of a user's topics reads next; not the bank of a topic the write
// deleted, which nobody reads again. The other kinds are read by the user
// who wrote, on the next request, which fills them as any miss does.
func refills(method string, w write, dropped []string) []refillTarget {
	var ts []refillTarget
	for _, key := range dropped {
		switch {
		case key == topicList(w):
			ts = append(ts, refillTarget{key: key, cache: nameTopics, userID: w.userID})
		case key == questionBank(w) && method != "TopicStore.DeleteTopic":
			ts = append(ts, refillTarget{key: key, cache: nameQuestions, userID: w.userID, topicID: w.topicID})
		}
	}
	return ts
}
