package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// allSessions reads every session of userID limit at a time, each page
// continuing from the cursor of the one before.
func (f *fixture) allSessions(userID string, limit int) ([]*recall.Session, error) {
	f.tb.Helper()
	var all []*recall.Session
	page := recall.SessionPage{Limit: limit}
	for range 1000 {
		got, err := f.s.Sessions(f.ctx, userID, page)
		if err != nil {
			return nil, err
		}
		if len(got) > limit {
			f.tb.Fatalf("Sessions(limit %d) gave %d sessions", limit, len(got))
		}
		all = append(all, got...)
		if len(got) < limit {
			return all, nil
		}
		page.After = recall.CursorOf(got[len(got)-1])
	}
	f.tb.Fatal("Sessions: more than 1000 pages")
	return nil, nil
}

// sessionAt creates a session of u on topic with the given times and state.
func (f *fixture) sessionAt(u *recall.User, topic *recall.Topic, state recall.SessionState, created, updated time.Time) *recall.Session {
	f.tb.Helper()
	s := &recall.Session{ID: f.id("s"), UserID: u.ID, TopicID: topic.ID, State: state,
		QuestionIDs: []string{}, Version: 1, CreatedAt: created, UpdatedAt: updated}
	if err := f.s.CreateSession(f.ctx, s); err != nil {
		f.tb.Fatalf("CreateSession: %v", err)
	}
	return s
}

// newestFirst sorts sessions as Sessions does: by CreatedAt, newest
// first, then by ID.
func newestFirst(list []*recall.Session) []*recall.Session {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b *recall.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return list
}

func sessionIDs(list []*recall.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

// runSessionPages checks the pages of Sessions: their order, their
// cursors (ties on CreatedAt included), sessions added while a client
// pages, and the state filter.
func runSessionPages(t *testing.T, open opener) {
	t.Run("SessionPages", func(t *testing.T) {
		test(t, open, "OKEveryPageInOrder", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			at, bt := f.topic(alice, "Rivers"), f.topic(bob, "Rivers")
			var want []*recall.Session
			for range 4 {
				want = append(want, f.session(alice, at, nil))
			}
			tie := f.tick() // three sessions created at one instant: the ID orders them
			for range 3 {
				want = append(want, f.sessionAt(alice, at, recall.SessionActive, tie, tie))
			}
			want = append(want, f.session(alice, at, nil))
			f.session(bob, bt, nil)
			want = newestFirst(want)
			for _, limit := range []int{1, 2, 3, 8, 50} {
				got, err := f.allSessions(alice.ID, limit)
				ok(f.tb, "Sessions", err)
				eqList(f.tb, fmt.Sprintf("pages of %d", limit), sessionIDs(got), sessionIDs(want))
			}
			first, err := f.s.Sessions(f.ctx, alice.ID, recall.SessionPage{Limit: 3})
			ok(f.tb, "Sessions", err)
			eqLen(f.tb, "first page", first, 3)
			for i := range first {
				eqSession(f.tb, first[i], want[i])
			}
		})
		test(t, open, "OKSessionsAddedWhilePaging", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			var before []*recall.Session
			for range 7 {
				before = append(before, f.session(u, topic, nil))
			}
			before = newestFirst(before)
			var got []*recall.Session
			page := recall.SessionPage{Limit: 2}
			for {
				list, err := f.s.Sessions(f.ctx, u.ID, page)
				ok(f.tb, "Sessions", err)
				got = append(got, list...)
				if len(list) < page.Limit {
					break
				}
				page.After = recall.CursorOf(list[len(list)-1])
				f.session(u, topic, nil) // newer than every page: it comes before the cursor
			}
			eqList(f.tb, "sessions paged while others were added", sessionIDs(got), sessionIDs(before))
		})
		test(t, open, "OKState", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			idle, lifetime := time.Hour, 24*time.Hour
			now := f.tick()
			var completed, active, expired []*recall.Session
			for i := range 3 {
				back := time.Duration(i) * time.Minute
				completed = append(completed, f.sessionAt(u, topic, recall.SessionCompleted, now.Add(-48*time.Hour-back), now.Add(-47*time.Hour)))
				active = append(active, f.sessionAt(u, topic, recall.SessionActive, now.Add(-2*time.Hour-back), now.Add(-time.Minute)))
				// Idle too long, and past the lifetime though used lately.
				expired = append(expired,
					f.sessionAt(u, topic, recall.SessionActive, now.Add(-3*time.Hour-back), now.Add(-idle)),
					f.sessionAt(u, topic, recall.SessionActive, now.Add(-lifetime-back), now.Add(-time.Minute)))
			}
			for _, tc := range []struct {
				state recall.SessionState
				want  []*recall.Session
			}{
				{recall.SessionCompleted, completed},
				{recall.SessionActive, active},
				{recall.SessionExpired, expired},
				{"", append(append(slices.Clone(completed), active...), expired...)},
			} {
				for _, limit := range []int{1, 4, 20} {
					var got []*recall.Session
					page := recall.SessionPage{Limit: limit, State: tc.state, Now: now, Idle: idle, Lifetime: lifetime}
					for {
						list, err := f.s.Sessions(f.ctx, u.ID, page)
						ok(f.tb, "Sessions", err)
						got = append(got, list...)
						if len(list) < limit {
							break
						}
						page.After = recall.CursorOf(list[len(list)-1])
					}
					eqList(f.tb, "sessions in state "+string(tc.state), sessionIDs(got), sessionIDs(newestFirst(tc.want)))
				}
			}
		})
		test(t, open, "ErrInvalidLimit", func(f *fixture) {
			u := f.user("alice")
			_, err := f.s.Sessions(f.ctx, u.ID, recall.SessionPage{})
			wantCode(f.tb, "Sessions(limit 0)", err, recall.EINVALID)
		})
	})
}
