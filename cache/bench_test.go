package cache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/redis/redistest"
)

// BenchmarkHits measures a cache hit through the decorators, JSON decoding
// included: a token, a list of 10 topics, a bank of 20 questions.
func BenchmarkHits(b *testing.B) {
	ctx := context.Background()
	for _, k := range backendKinds() {
		b.Run(k.name, func(b *testing.B) {
			db := openDB(b)
			f := newFixture(b, db)
			in := newInstance(db, k.new(b, redistest.Prefix(b)), cache.Options{})
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
			b.Run("Questions", func(b *testing.B) {
				for b.Loop() {
					if _, err := in.questions.Questions(ctx, topicID); err != nil {
						b.Fatal(err)
					}
				}
			})
			if n := in.inner.tokens.Load() + in.inner.topics.Load() + in.inner.questions.Load(); n > 3 {
				b.Fatalf("the benchmark made %d loads; want one per key", n)
			}
		})
	}
}
