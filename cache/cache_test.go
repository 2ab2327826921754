package cache_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
)

func TestTopicStore_HitMissInvalidate(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{})
		u, other := f.user(), f.user()

		t1 := f.newTopic(u, "Go")
		if err := in.topics.CreateTopic(ctx, t1); err != nil {
			t.Fatal(err)
		}
		theirs := f.newTopic(other, "Theirs")
		if err := in.topics.CreateTopic(ctx, theirs); err != nil {
			t.Fatal(err)
		}
		want, _ := db.Topics(ctx, u.ID)
		for i := range 3 {
			got, err := in.topics.Topics(ctx, u.ID)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("read %d: Topics = %+v, %v; want %+v", i, got, err, want)
			}
		}
		if n := in.inner.topics.Load(); n != 1 {
			t.Fatalf("3 reads made %d loads; want 1", n)
		}
		if in.count("topics", "miss") != 1 || in.count("topics", "hit") != 2 {
			t.Fatalf("metrics: %d misses, %d hits; want 1, 2", in.count("topics", "miss"), in.count("topics", "hit"))
		}
		got, err := in.topics.Topic(ctx, u.ID, t1.ID)
		if err != nil || !reflect.DeepEqual(got, want[0]) {
			t.Fatalf("Topic = %+v, %v; want %+v", got, err, want[0])
		}
		if _, err := in.topics.Topic(ctx, u.ID, theirs.ID); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Topic of another user's topic = %v; want ENOTFOUND", err)
		}
		if _, err := in.topics.Topic(ctx, u.ID, "nope"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Topic of an unknown id = %v; want ENOTFOUND", err)
		}
		// Caller copies are their own.
		got.Title = "scribbled"
		if again, _ := in.topics.Topic(ctx, u.ID, t1.ID); again.Title != "Go" {
			t.Fatal("changing a returned topic changed the cache")
		}

		if _, err := in.topics.UpdateTopic(ctx, u.ID, t1.ID, recall.TopicInput{Title: strp("Go 2")}, f.tick()); err != nil {
			t.Fatal(err)
		}
		if got, _ := in.topics.Topic(ctx, u.ID, t1.ID); got.Title != "Go 2" {
			t.Fatalf("after UpdateTopic, Topic.Title = %q; want \"Go 2\"", got.Title)
		}
		t2 := f.newTopic(u, "Rust")
		if err := in.topics.CreateTopic(ctx, t2); err != nil {
			t.Fatal(err)
		}
		if list, _ := in.topics.Topics(ctx, u.ID); len(list) != 2 || list[0].ID != t2.ID {
			t.Fatalf("after CreateTopic, Topics = %+v; want Rust first", list)
		}
		if err := in.topics.DeleteTopic(ctx, u.ID, t1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := in.topics.Topic(ctx, u.ID, t1.ID); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Topic after DeleteTopic = %v; want ENOTFOUND", err)
		}
		// A write refused by the store changes nothing.
		if err := in.topics.DeleteTopic(ctx, u.ID, theirs.ID); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("DeleteTopic of another user's topic = %v; want ENOTFOUND", err)
		}
		if got, _ := in.topics.Topics(ctx, other.ID); len(got) != 1 {
			t.Fatal("another user's topic went away")
		}
		// Stats change when a session completes: the completing turn,
		// saved through the session store decorator, drops the list.
		sessions := cache.NewSessionStore(in.inner, in.b, cache.Options{})
		at := f.tick()
		s := &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: t2.ID, State: recall.SessionActive, Version: 1, CreatedAt: at, UpdatedAt: at}
		if err := sessions.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		before := in.inner.topics.Load()
		in.topics.Topics(ctx, u.ID)
		done := s.Clone()
		done.State, done.Version, done.Turns, done.UpdatedAt = recall.SessionCompleted, 2, 1, f.tick()
		end := &recall.Turn{SessionID: s.ID, Kind: recall.TurnSummary, Message: "/end", Reply: "Session ended.", CreatedAt: done.UpdatedAt, After: done.Clone()}
		if err := sessions.SaveTurn(ctx, done, end); err != nil {
			t.Fatal(err)
		}
		list, _ := in.topics.Topics(ctx, u.ID)
		if n := in.inner.topics.Load() - before; n != 1 {
			t.Fatalf("a completing turn then a read made %d loads; want 1", n)
		}
		if list[0].Stats.SessionsCompleted != 1 {
			t.Fatalf("after a completing turn the stats are %+v", list[0].Stats)
		}
	})
}

func TestQuestionStore_HitMissInvalidate(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{})
		u := f.user()
		tp := f.newTopic(u, "Go")
		if err := in.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		// An empty bank is cached too.
		for range 2 {
			if qs, err := in.questions.Questions(ctx, tp.UserID, tp.ID); err != nil || len(qs) != 0 {
				t.Fatalf("Questions of an empty bank = %v, %v", qs, err)
			}
		}
		if n := in.inner.questions.Load(); n != 1 {
			t.Fatalf("two reads of an empty bank made %d loads; want 1", n)
		}
		// The topic list is cached before the questions come.
		if list, _ := in.topics.Topics(ctx, u.ID); len(list[0].QuestionIDs) != 0 {
			t.Fatal("a new topic has questions")
		}
		qs := f.newQuestions(tp, 7)
		if err := in.questions.AddQuestions(ctx, u.ID, tp.ID, qs); err != nil {
			t.Fatal(err)
		}
		want, _ := db.Questions(ctx, tp.UserID, tp.ID)
		for range 3 {
			got, err := in.questions.Questions(ctx, tp.UserID, tp.ID)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Questions = %+v, %v; want %+v", got, err, want)
			}
		}
		if n := in.inner.questions.Load(); n != 2 {
			t.Fatalf("loads of the bank = %d; want 2 (empty, then after AddQuestions)", n)
		}
		// AddQuestions dropped the topic list too: its question ids changed.
		if list, _ := in.topics.Topics(ctx, u.ID); len(list[0].QuestionIDs) != 7 || list[0].QuestionIDs[6] != qs[6].ID {
			t.Fatalf("after AddQuestions the topic lists %v", list[0].QuestionIDs)
		}

		if _, err := in.questions.UpdateQuestion(ctx, u.ID, tp.ID, qs[2].ID, recall.QuestionInput{Prompt: strp("New prompt")}, f.tick()); err != nil {
			t.Fatal(err)
		}
		if got, _ := in.questions.Questions(ctx, tp.UserID, tp.ID); got[2].Prompt != "New prompt" {
			t.Fatalf("after UpdateQuestion the prompt is %q", got[2].Prompt)
		}
		if err := in.questions.DeleteQuestion(ctx, u.ID, tp.ID, qs[0].ID, f.tick()); err != nil {
			t.Fatal(err)
		}
		got, _ := in.questions.Questions(ctx, tp.UserID, tp.ID)
		if len(got) != 6 || got[0].ID != qs[1].ID {
			t.Fatalf("after DeleteQuestion the bank starts with %s and has %d questions", got[0].ID, len(got))
		}
		if list, _ := in.topics.Topics(ctx, u.ID); len(list[0].QuestionIDs) != 6 {
			t.Fatalf("after DeleteQuestion the topic lists %d questions", len(list[0].QuestionIDs))
		}
		// Deleting the topic drops its bank.
		if err := in.topics.DeleteTopic(ctx, u.ID, tp.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := in.questions.Questions(ctx, tp.UserID, tp.ID); len(got) != 0 {
			t.Fatalf("the bank of a deleted topic still has %d questions", len(got))
		}
	})
}

func TestTokenStore(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{})
		u := f.user()
		hash, tok := f.token(u)
		for range 3 {
			got, err := in.tokens.TokenByHash(ctx, hash)
			if err != nil || !reflect.DeepEqual(got, tok) {
				t.Fatalf("TokenByHash = %+v, %v; want %+v", got, err, tok)
			}
		}
		if n := in.inner.tokens.Load(); n != 1 {
			t.Fatalf("3 lookups made %d loads; want 1", n)
		}
		if err := in.tokens.DeleteToken(ctx, hash); err != nil {
			t.Fatal(err)
		}
		if _, err := in.tokens.TokenByHash(ctx, hash); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("TokenByHash after DeleteToken = %v; want ENOTFOUND", err)
		}
		// Unknown tokens are not cached: each lookup asks the store, and a
		// token created afterwards works at once.
		before := in.inner.tokens.Load()
		unknown := []byte("0123456789abcdef0123456789abcdef")
		for range 2 {
			if _, err := in.tokens.TokenByHash(ctx, unknown); !recall.IsCode(err, recall.ENOTFOUND) {
				t.Fatalf("TokenByHash of an unknown token = %v", err)
			}
		}
		if n := in.inner.tokens.Load() - before; n != 2 {
			t.Fatalf("2 lookups of an unknown token made %d loads; want 2", n)
		}
		late := &recall.Token{Hash: unknown, UserID: u.ID, CreatedAt: f.tick(), ExpiresAt: f.now.Add(time.Hour)}
		if err := in.tokens.CreateToken(ctx, late); err != nil {
			t.Fatal(err)
		}
		if _, err := in.tokens.TokenByHash(ctx, unknown); err != nil {
			t.Fatalf("TokenByHash of a token created after a miss = %v", err)
		}
	})
}

// TestTokenOfUser: a token looked up under the user it claims is cached
// under that user's key, another user's claim finds nothing, and a
// revocation drops the user's key.
func TestTokenOfUser(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{})
		u, other := f.user(), f.user()
		hash, tok := f.token(u)
		for range 3 {
			got, err := in.tokens.TokenOfUser(ctx, u.ID, hash)
			if err != nil || !reflect.DeepEqual(got, tok) {
				t.Fatalf("TokenOfUser = %+v, %v; want %+v", got, err, tok)
			}
		}
		if n := in.inner.tokens.Load(); n != 1 {
			t.Fatalf("3 lookups made %d loads; want 1", n)
		}
		for range 2 {
			if _, err := in.tokens.TokenOfUser(ctx, other.ID, hash); !recall.IsCode(err, recall.ENOTFOUND) {
				t.Fatalf("TokenOfUser under another user = %v; want ENOTFOUND", err)
			}
		}
		if n := in.inner.tokens.Load(); n != 3 {
			t.Fatalf("another user's claim was cached: %d loads, want 3", n)
		}
		// A revocation that cannot learn the token's user fails rather than
		// leave the user's key to outlive it.
		in.inner.failTokens.Store(true)
		if err := in.tokens.DeleteToken(ctx, hash); err == nil {
			t.Fatal("DeleteToken succeeded without reading the token's user")
		}
		in.inner.failTokens.Store(false)
		if _, err := in.tokens.TokenOfUser(ctx, u.ID, hash); err != nil {
			t.Fatalf("the failed revocation deleted the token: %v", err)
		}
		if err := in.tokens.DeleteToken(ctx, hash); err != nil {
			t.Fatal(err)
		}
		if _, err := in.tokens.TokenOfUser(ctx, u.ID, hash); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("TokenOfUser after DeleteToken = %v; want ENOTFOUND", err)
		}
	})
}

// TestRevocationOnEveryInstance: a token revoked through one instance stops
// working at once on the others.
func TestRevocationOnEveryInstance(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		a := newInstance(db, k.new(t, space), cache.Options{})
		b := newInstance(db, k.new(t, space), cache.Options{})
		hash, _ := f.token(f.user())
		for range 2 {
			for _, in := range []*instance{a, b} {
				if _, err := in.tokens.TokenByHash(ctx, hash); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := a.tokens.DeleteToken(ctx, hash); err != nil {
			t.Fatal(err)
		}
		if _, err := a.tokens.TokenByHash(ctx, hash); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("on the revoking instance: %v; want ENOTFOUND", err)
		}
		// On another instance the near-cache copy goes when Redis's push
		// arrives: a bounded wait, the window is reported.
		start := time.Now()
		for {
			_, err := b.tokens.TokenByHash(ctx, hash)
			if recall.IsCode(err, recall.ENOTFOUND) {
				break
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("another instance still accepts a revoked token after 2s (%v)", err)
			}
		}
		t.Logf("revocation reached the other instance after %v", time.Since(start))
	})
}

// TestStaleSetRace forces the cache-aside race: a reader loads the old
// list, a writer commits and invalidates, then the reader fills. The old
// value must never land, and a read after the write sees the new value.
func TestStaleSetRace(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		for _, writerElsewhere := range []bool{false, true} {
			if writerElsewhere && !k.shared {
				continue
			}
			name := "WriterHere"
			if writerElsewhere {
				name = "WriterOnAnotherInstance"
			}
			t.Run(name, func(t *testing.T) {
				testStaleSetRace(t, k, space+name+":", writerElsewhere)
			})
		}
	})
}

func testStaleSetRace(t *testing.T, k backendKind, space string, writerElsewhere bool) {
	ctx := context.Background()
	db := openDB(t)
	f := newFixture(t, db)
	u := f.user()
	tp := f.newTopic(u, "old")
	if err := db.CreateTopic(ctx, tp); err != nil {
		t.Fatal(err)
	}
	key := cache.TopicsKey(u.ID)
	paused := make(chan struct{})
	resume := make(chan struct{})
	var once sync.Once
	b := k.new(t, space)
	reader := newInstance(db, b, cache.Options{AfterLoad: func(k string) {
		if k == key {
			once.Do(func() { close(paused); <-resume })
		}
	}})
	writer := reader
	if writerElsewhere {
		writer = newInstance(db, k.new(t, space), cache.Options{})
	}

	oldRead := make(chan []*recall.Topic, 1)
	go func() {
		list, err := reader.topics.Topics(ctx, u.ID)
		if err != nil {
			t.Error(err)
		}
		oldRead <- list
	}()
	<-paused // the reader has loaded "old" and not filled yet
	if _, err := writer.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp("new")}, f.tick()); err != nil {
		t.Fatal(err)
	}
	// A read that starts after the write was acknowledged, on the
	// reader's instance, while the stale fill is pending.
	newRead := make(chan []*recall.Topic, 1)
	go func() {
		list, err := reader.topics.Topics(ctx, u.ID)
		if err != nil {
			t.Error(err)
		}
		newRead <- list
	}()
	close(resume)
	<-oldRead // "old" or "new": it started before the write
	if got := <-newRead; len(got) != 1 || got[0].Title != "new" {
		t.Fatalf("a read that started after the write returned %+v; want the new title", got)
	}
	// Whatever the backend holds now is the new value.
	if v, ok, err := b.Get(ctx, key); err != nil {
		t.Fatal(err)
	} else if ok {
		if list, err := cache.DecodeTopics(v); err != nil || list[0].Title != "new" {
			t.Fatalf("the backend holds %s: the stale fill landed", v)
		}
	}
	for _, in := range []*instance{reader, writer} {
		if got, _ := in.topics.Topic(ctx, u.ID, tp.ID); got.Title != "new" {
			t.Fatalf("a later read returned %q", got.Title)
		}
	}
}

// TestNoStampede: concurrent readers of a cold key make one load per
// instance.
func TestNoStampede(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		u := f.user()
		tp := f.newTopic(u, "Go")
		if err := db.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		if err := db.AddQuestions(ctx, u.ID, tp.ID, f.newQuestions(tp, 20)); err != nil {
			t.Fatal(err)
		}
		instances := 1
		if k.shared {
			instances = 3
		}
		var ins []*instance
		for range instances {
			in := newInstance(db, k.new(t, space), cache.Options{FillWait: time.Second})
			in.inner.delay = 20 * time.Millisecond
			ins = append(ins, in)
		}
		const readers = 50
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, in := range ins {
			for range readers {
				wg.Go(func() {
					<-start
					if list, err := in.topics.Topics(ctx, u.ID); err != nil || len(list) != 1 {
						t.Error(list, err)
					}
					if qs, err := in.questions.Questions(ctx, tp.UserID, tp.ID); err != nil || len(qs) != 20 {
						t.Error(len(qs), err)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		total := 0
		for i, in := range ins {
			tl, ql := in.inner.topics.Load(), in.inner.questions.Load()
			if tl > 1 || ql > 1 {
				t.Errorf("instance %d: %d readers made %d topic-list loads and %d bank loads; want at most 1 each", i, readers, tl, ql)
			}
			total += int(tl + ql)
		}
		if instances == 1 && total != 2 {
			t.Errorf("%d loads; want exactly 2 (one list, one bank)", total)
		}
		t.Logf("%d instances × %d readers: %d loads in all", instances, readers, total)
	})
}

// TestCallerCopies changes everything a lookup returned, hit after hit:
// the next lookups still return what the store holds (the memo of decoded
// values hands out copies).
func TestCallerCopies(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		in := newInstance(db, k.new(t, space), cache.Options{})
		u := f.user()
		tp := f.newTopic(u, "Go")
		if err := in.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		if err := in.questions.AddQuestions(ctx, u.ID, tp.ID, f.newQuestions(tp, 4)); err != nil {
			t.Fatal(err)
		}
		hash, _ := f.token(u)
		wantTopics, _ := db.Topics(ctx, u.ID)
		wantQs, _ := db.Questions(ctx, tp.UserID, tp.ID)
		wantTok, _ := db.TokenByHash(ctx, hash)
		for i := range 3 {
			ts, err := in.topics.Topics(ctx, u.ID)
			if err != nil || !reflect.DeepEqual(ts, wantTopics) {
				t.Fatalf("read %d: Topics = %+v, %v", i, ts, err)
			}
			ts[0].QuestionIDs[0] = "scribbled"
			ts[0].QuestionIDs = append(ts[0].QuestionIDs, "more")
			ts[0] = nil
			qs, err := in.questions.Questions(ctx, tp.UserID, tp.ID)
			if err != nil || !reflect.DeepEqual(qs, wantQs) {
				t.Fatalf("read %d: Questions = %+v, %v", i, qs, err)
			}
			qs[0].Answers[0] = "scribbled"
			qs[0].Choices = append(qs[0].Choices, "more")
			qs[1].Prompt = "scribbled"
			tok, err := in.tokens.TokenByHash(ctx, hash)
			if err != nil || !reflect.DeepEqual(tok, wantTok) {
				t.Fatalf("read %d: TokenByHash = %+v, %v", i, tok, err)
			}
			tok.Hash[0] ^= 0xff
			one, err := in.topics.Topic(ctx, u.ID, tp.ID)
			if err != nil || !reflect.DeepEqual(one, wantTopics[0]) {
				t.Fatalf("read %d: Topic = %+v, %v", i, one, err)
			}
			one.QuestionIDs[1] = "scribbled"
			one.Title = "scribbled"
		}
		if in.count("topics", "hit") != 5 || in.count("questions", "hit") != 2 || in.count("tokens", "hit") != 2 {
			t.Fatal("the reads were not cache hits")
		}
	})
}
