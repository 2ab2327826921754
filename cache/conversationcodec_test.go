package cache

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// sampleConversation has every field set, its times in UTC.
func sampleConversation() *recall.Conversation {
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.UTC)
	yes, no := true, false
	return &recall.Conversation{
		ID: "c1", UserID: "u1", TopicID: "t1", Title: "Rivers ✓", State: recall.ConversationActive,
		Messages: 12, Version: 7, Summary: "asked about the Nile;\nasked about the Rhine",
		QuestionIDs: []string{"q1", "q2"}, Quizzing: "q2", CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		Recent: []*recall.Message{
			{ConversationID: "c1", Index: 10, Role: recall.RoleLearner, Content: "quiz me", CreatedAt: at, IdempotencyKey: "k"},
			{ConversationID: "c1", Index: 11, Role: recall.RoleTutor, Content: "event: x\ndata: y", QuestionIDs: []string{"q2"},
				Correct: &yes, Tutor: "rules", CreatedAt: at, IdempotencyKey: "k"},
			{ConversationID: "c1", Index: 12, Role: recall.RoleTutor, Content: "", Correct: &no, CreatedAt: at},
		},
		KeyHashes: []uint64{recall.KeyHash("k0"), recall.KeyHash("k"), 1 << 63},
		KeysFrom:  4,
	}
}

func TestConversationCodec_RoundTrip(t *testing.T) {
	cases := map[string]func(c *recall.Conversation){
		"AllFields":   func(c *recall.Conversation) {},
		"NilSlices":   func(c *recall.Conversation) { c.QuestionIDs, c.Recent, c.KeyHashes = nil, nil, nil },
		"EmptySlices": func(c *recall.Conversation) { c.QuestionIDs, c.Recent = []string{}, []*recall.Message{} },
		"Zero":        func(c *recall.Conversation) { *c = recall.Conversation{} },
		"Ended":       func(c *recall.Conversation) { c.State, c.Quizzing = recall.ConversationEnded, "" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			c := sampleConversation()
			change(c)
			b, err := EncodeConversation(c)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != conversationFormat {
				t.Fatalf("first byte %d; want the format version %d", b[0], conversationFormat)
			}
			got, err := DecodeConversation(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
			}
		})
	}
}

func TestConversationCodec_Refuses(t *testing.T) {
	good, err := EncodeConversation(sampleConversation())
	if err != nil {
		t.Fatal(err)
	}
	other := append([]byte{conversationFormat + 1}, good[1:]...)
	// The previous format (1) ended with the recent messages: no key
	// hashes. A state cached by an older instance is dropped and rebuilt.
	prev := sampleConversation()
	prev.KeyHashes, prev.KeysFrom = nil, 0
	v1, err := EncodeConversation(prev)
	if err != nil {
		t.Fatal(err)
	}
	v1 = append([]byte{1}, v1[1:len(v1)-2]...)
	for name, val := range map[string][]byte{
		"Empty":          nil,
		"OtherVersion":   other,
		"PreviousFormat": v1,
		"SessionFormat":  append([]byte{sessionFormat}, good[1:]...),
		"Short":          good[:len(good)-1],
		"Trailing":       append(append([]byte(nil), good...), 0),
		"JSON":           []byte(`{"ID":"c1"}`),
		"OnlyTheVersion": {conversationFormat},
	} {
		if _, err := DecodeConversation(val); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	bad := sampleConversation()
	bad.Recent[0].ConversationID = "c2"
	if _, err := EncodeConversation(bad); err == nil {
		t.Error("a message of another conversation encoded")
	}
	bad = sampleConversation()
	bad.Recent[1].Index = 10
	if _, err := EncodeConversation(bad); err == nil {
		t.Error("messages out of order encoded")
	}
	bad = sampleConversation()
	bad.KeysFrom = -1
	if _, err := EncodeConversation(bad); err == nil {
		t.Error("a negative KeysFrom encoded")
	}
	bad = sampleConversation()
	bad.Version = -1
	if _, err := EncodeConversation(bad); err == nil {
		t.Error("a negative version encoded")
	}
}

func FuzzConversationCodec(f *testing.F) {
	good, err := EncodeConversation(sampleConversation())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "c", "hello\nevent: x", int64(3), int64(0), 2)
	f.Add([]byte{conversationFormat}, "", "", int64(0), int64(1), -1)
	f.Add([]byte(`{"ID":"c1"}`), "é\xff", "", int64(-1), int64(253402300799), 0)
	f.Fuzz(func(t *testing.T, raw []byte, id, content string, version, sec int64, n int) {
		if c, err := DecodeConversation(raw); err == nil {
			again, err := EncodeConversation(c)
			if err != nil {
				t.Fatalf("a decoded conversation does not encode: %v", err)
			}
			if !bytes.Equal(again, raw) {
				t.Fatalf("%q decoded to %+v, which encodes to %q", raw, c, again)
			}
		}
		at := time.Unix(sec, 0).UTC()
		c := &recall.Conversation{ID: id, UserID: content, State: recall.ConversationActive, Messages: n, Version: version,
			Summary: content, QuestionIDs: []string{id}, CreatedAt: at, UpdatedAt: at,
			Recent: []*recall.Message{{ConversationID: id, Index: max(n, 0), Role: recall.RoleLearner, Content: content, CreatedAt: at}}}
		b, err := EncodeConversation(c)
		if n < 0 || version < 0 {
			if err == nil {
				t.Fatal("a negative count or version encoded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeConversation(b)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip of %+v: %+v, %v", c, got, err)
		}
	})
}
