package cache_test

import (
	"context"
	"slices"
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

// TestKnownTopicIDs: the hint of which topics a user has comes from every
// list the store reads, whatever the memo of decoded values holds (it is
// off here; a full memo is the same), and follows a list that changed.
func TestKnownTopicIDs(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{MemoBytes: -1})
		u, other := f.user(), f.user()
		if got := in.topics.KnownTopicIDs(u.ID); got != nil {
			t.Fatalf("KnownTopicIDs before any read = %v; want none", got)
		}
		var want []string
		for _, title := range []string{"Go", "Rust"} {
			tp := f.newTopic(u, title)
			if err := in.topics.CreateTopic(ctx, tp); err != nil {
				t.Fatal(err)
			}
		}
		check := func() {
			t.Helper()
			list, err := in.topics.Topics(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			want = want[:0]
			for _, tp := range list {
				want = append(want, tp.ID)
			}
			if got := in.topics.KnownTopicIDs(u.ID); !slices.Equal(got, want) {
				t.Fatalf("KnownTopicIDs = %v; want %v", got, want)
			}
		}
		check() // a miss
		check() // a hit
		tp := f.newTopic(u, "Zig")
		if err := in.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		check()
		if len(want) != 3 {
			t.Fatalf("the list holds %d topics; want 3", len(want))
		}
		if got := in.topics.KnownTopicIDs(other.ID); got != nil {
			t.Fatalf("KnownTopicIDs of a user never read = %v; want none", got)
		}
	})
}
