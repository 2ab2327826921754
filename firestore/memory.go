package firestore

import (
	"context"
	"slices"
	"strconv"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

// Collections under users/{id}: the user's memory states, one document per
// question (users/{id}/memories/{question_id}), and the days the user
// studied (users/{id}/days/{day}). A deleted question's or topic's memory
// states are not deleted with it: callers go by the bank.
const (
	colMemories = "memories"
	colDays     = "days"
)

// memoryDoc is users/{user_id}/memories/{question_id}.
type memoryDoc struct {
	TopicID       string    `firestore:"topic_id"`
	State         int       `firestore:"state"`
	Stability     float64   `firestore:"stability"`
	Difficulty    float64   `firestore:"difficulty"`
	Due           time.Time `firestore:"due"`
	ScheduledDays int       `firestore:"scheduled_days"`
	Reps          int       `firestore:"reps"`
	Lapses        int       `firestore:"lapses"`
	FirstReview   time.Time `firestore:"first_review"`
	LastReview    time.Time `firestore:"last_review"`
}

// dayDoc is users/{user_id}/days/{day}.
type dayDoc struct {
	Day int `firestore:"day"`
}

// queueReview queues, in tx, the blind writes of t's review (none if it
// has none): the question's memory state and the user's day of study.
func (s *Store) queueReview(tx *fs.Transaction, t *recall.Turn) error {
	if t.Review == nil {
		return nil
	}
	m := t.Review.Memory
	if !validIDs(m.UserID, m.QuestionID) {
		return recall.Errorf(recall.EINVALID, "The review names no valid user or question.")
	}
	user := s.client.Collection(colUsers).Doc(m.UserID)
	if err := tx.Set(user.Collection(colMemories).Doc(m.QuestionID), memoryDoc{
		TopicID: m.TopicID, State: int(m.State), Stability: m.Stability, Difficulty: m.Difficulty,
		Due: toDB(m.Due), ScheduledDays: m.ScheduledDays, Reps: m.Reps, Lapses: m.Lapses,
		FirstReview: toDB(m.FirstReview), LastReview: toDB(m.LastReview),
	}); err != nil {
		return err
	}
	return tx.Set(user.Collection(colDays).Doc(strconv.Itoa(t.Review.Day)), dayDoc{Day: t.Review.Day})
}

// Memories returns the user's memory states of the topic's questions, in
// one query.
func (s *Store) Memories(ctx context.Context, userID, topicID string) ([]*recall.Memory, error) {
	const op = "Memories"
	if !validIDs(userID, topicID) {
		return []*recall.Memory{}, nil
	}
	q := s.client.Collection(colUsers).Doc(userID).Collection(colMemories).Where(fTopicID, "==", topicID)
	return queryAll(ctx, s, op, "memory", q, func(id string, d *memoryDoc) (*recall.Memory, bool) {
		return &recall.Memory{
			UserID: userID, TopicID: d.TopicID, QuestionID: id, State: recall.CardState(d.State),
			Stability: d.Stability, Difficulty: d.Difficulty, Due: fromDB(d.Due), ScheduledDays: d.ScheduledDays,
			Reps: d.Reps, Lapses: d.Lapses, FirstReview: fromDB(d.FirstReview), LastReview: fromDB(d.LastReview),
		}, true
	})
}

// StudyDays returns the user's days of study in increasing order, in one
// query.
func (s *Store) StudyDays(ctx context.Context, userID string) ([]int, error) {
	const op = "StudyDays"
	if !validID(userID) {
		return []int{}, nil
	}
	q := s.client.Collection(colUsers).Doc(userID).Collection(colDays).Query
	days, err := queryAll(ctx, s, op, "day", q, func(_ string, d *dayDoc) (int, bool) { return d.Day, true })
	if err != nil {
		return nil, err
	}
	slices.Sort(days)
	return days, nil
}

// UpdateUser replaces the user's time zone and FSRS weights, in one write.
// Returns ENOTFOUND if there is no such user.
func (s *Store) UpdateUser(ctx context.Context, u *recall.User) error {
	const op = "UpdateUser"
	if u == nil {
		return recall.Errorf(recall.EINVALID, "No user was given.")
	}
	if !validID(u.ID) {
		return storeerr.UserNotFound()
	}
	if err := s.before(ctx, kindWrite, op, 1); err != nil {
		return err
	}
	var weights any // nil deletes nothing: a null field means the defaults
	if len(u.Weights) > 0 {
		weights = u.Weights
	}
	_, err := s.client.Collection(colUsers).Doc(u.ID).Update(ctx, []fs.Update{
		{Path: fTimeZone, Value: recall.StoredTimeZone(u.TimeZone)},
		{Path: fWeights, Value: weights},
	})
	if status.Code(err) == codes.NotFound {
		return storeerr.UserNotFound()
	}
	return s.fail(ctx, op, err)
}

// Field names of userDoc, for updates.
const (
	fTimeZone = "time_zone"
	fWeights  = "fsrs_weights"
	fAdmin    = "admin"
)
