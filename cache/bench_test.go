package cache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/redis/redistest"
)

// BenchmarkHits measures a cache hit through the decorators, JSON decoding
// (or the memo of decoded values, and the copy it hands out) included: a
// token, a list of 10 topics, a bank of 20 questions. The nomemo variants
// turn the memo off.
func BenchmarkHits(b *testing.B) {
	ctx := context.Background()
	for _, k := range backendKinds() {
		for _, memo := range []struct {
			name  string
			bytes int
		}{{"", 0}, {"-nomemo", -1}} {
			b.Run(k.name+memo.name, func(b *testing.B) {
				benchHits(ctx, b, k, cache.Options{MemoBytes: memo.bytes})
			})
		}
	}
}

func benchHits(ctx context.Context, b *testing.B, k backendKind, opts cache.Options) {
	db := openDB(b)
	f := newFixture(b, db)
	in := newInstance(db, k.new(b, redistest.Prefix(b)), opts)
	u := f.user()
	var topicID string
	for i := range 10 {
		tp := f.newTopic(u, fmt.Sprint("topic ", i))
		if err := in.topics.CreateTopic(ctx, tp); err != nil {
			b.Fatal(err)
		}
		if err := in.questions.AddQuestions(ctx, u.ID, tp.ID, f.newQuestions(tp, 20)); err != nil {
			b.Fatal(err)
		}
		topicID = tp.ID
	}
	hash, _ := f.token(u)
	b.Run("TokenByHash", func(b *testing.B) {
		for b.Loop() {
			if _, err := in.tokens.TokenByHash(ctx, hash); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Topics", func(b *testing.B) {
		for b.Loop() {
			if _, err := in.topics.Topics(ctx, u.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Topic", func(b *testing.B) {
		for b.Loop() {
			if _, err := in.topics.Topic(ctx, u.ID, topicID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Questions", func(b *testing.B) {
		for b.Loop() {
			if _, err := in.questions.Questions(ctx, u.ID, topicID); err != nil {
				b.Fatal(err)
			}
		}
	})
	if n := in.inner.tokens.Load() + in.inner.topics.Load() + in.inner.questions.Load(); n > 3 {
		b.Fatalf("the benchmark made %d loads; want one per key", n)
	}
}
