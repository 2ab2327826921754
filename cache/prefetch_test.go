package cache_test

import (
	"strings"
	"testing"

	"github.com/recallhq/recall/cache"
)

// TestTurnKeys: a turn's gate reads the session, the bank of the topic the
// process knows the session to study (in the user's slot, like the
// session) and, with reviews, the user.
func TestTurnKeys(t *testing.T) {
	m := cache.NewSessionTopics(0)
	if got := m.Topic("u1", "s1"); got != "" {
		t.Fatalf("Topic of a session never seen = %q; want none", got)
	}
	m.Remember("u1", "s1", "t1")
	if got := m.Topic("u1", "s1"); got != "t1" {
		t.Fatalf("Topic = %q; want t1", got)
	}
	if got := m.Topic("u2", "s1"); got != "" {
		t.Fatalf("Topic of the session claimed by another user = %q; want none", got)
	}
	var off *cache.SessionTopics
	off.Remember("u1", "s1", "t1")
	if got := off.Topic("u1", "s1"); got != "" {
		t.Fatalf("a nil memo's Topic = %q; want none", got)
	}

	keys := func(ks []cache.PrefetchKey) string {
		var b strings.Builder
		for _, k := range ks {
			b.WriteString(k.Key)
			if k.State {
				b.WriteString("(state)")
			}
			if k.Hash {
				b.WriteString("(hash)")
			}
			b.WriteByte(' ')
		}
		return b.String()
	}
	for _, tt := range []struct {
		topic   string
		reviews bool
		want    string
	}{
		{"t1", true, "session:{u1}:s1(state) questions:{u1}:t1(hash) user:{u1} "},
		{"t1", false, "session:{u1}:s1(state) questions:{u1}:t1(hash) "},
		{"", true, "session:{u1}:s1(state) user:{u1} "},
		{strings.Repeat("t", 65), false, "session:{u1}:s1(state) "},
	} {
		if got := keys(cache.TurnKeys("u1", "s1", tt.topic, tt.reviews)); got != tt.want {
			t.Errorf("TurnKeys(topic %q, reviews %v) = %s; want %s", tt.topic, tt.reviews, got, tt.want)
		}
	}
	if got := cache.TurnKeys("u1", "", "t1", true); got != nil {
		t.Errorf("TurnKeys of no session = %v; want none", got)
	}
}
