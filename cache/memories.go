package cache

import (
	"context"
	"math"
	"slices"

	"github.com/recallhq/recall"
)

var (
	_ recall.MemoryStore = (*MemoryStore)(nil)
	_ recall.UserStore   = (*UserStore)(nil)
)

// MemoryStore is a recall.MemoryStore that caches a user's memory states of
// a topic under memories:{<user_id>}:<topic_id>, and a user's days of study
// under days:{<user_id>}. It has no writes of its own: a turn's review is
// written by SessionStore.SaveTurn, whose rule in rules.go drops both keys.
type MemoryStore struct {
	inner recall.MemoryStore
	c     *core
	cd    codec[[]*recall.Memory]
	days  codec[[]int]
}

// NewMemoryStore wraps inner with a cache kept in b.
func NewMemoryStore(inner recall.MemoryStore, b Backend, opts Options) *MemoryStore {
	return &MemoryStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[[]*recall.Memory]{encode: encodeMemories, decode: decodeMemories, clone: cloneMemories, memo: newMemo[[]*recall.Memory](opts.MemoBytes)},
		days:  codec[[]int]{encode: encodeDays, decode: decodeDays, clone: slices.Clone[[]int]},
	}
}

// Memories returns the user's memory states of the topic from the cache,
// filling it on a miss. Like the inner store, it does not check ownership.
func (s *MemoryStore) Memories(ctx context.Context, userID, topicID string) ([]*recall.Memory, error) {
	if userID == "" || topicID == "" {
		return s.inner.Memories(ctx, userID, topicID)
	}
	return lookup(ctx, s.c, request[[]*recall.Memory]{
		name: nameMemories,
		key:  memoriesKey(userID, topicID),
		cd:   s.cd,
		load: func(ctx context.Context) ([]*recall.Memory, error) {
			return s.inner.Memories(ctx, userID, topicID)
		},
	})
}

// StudyDays returns the user's days of study from the cache, filling it on
// a miss.
func (s *MemoryStore) StudyDays(ctx context.Context, userID string) ([]int, error) {
	if userID == "" {
		return s.inner.StudyDays(ctx, userID)
	}
	return lookup(ctx, s.c, request[[]int]{
		name: nameDays,
		key:  daysKey(userID),
		cd:   s.days,
		load: func(ctx context.Context) ([]int, error) {
			return s.inner.StudyDays(ctx, userID)
		},
	})
}

// UserStore is a recall.UserStore that caches users by id under
// user:{<user_id>}, for the settings (time zone, FSRS weights) that a due
// session and the dashboard read. UserByUsername (sign-in, which needs the
// password hash) is not cached.
type UserStore struct {
	inner recall.UserStore
	c     *core
	cd    codec[*recall.User]
}

// NewUserStore wraps inner with a cache kept in b.
func NewUserStore(inner recall.UserStore, b Backend, opts Options) *UserStore {
	return &UserStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[*recall.User]{encode: encodeUser, decode: decodeUser, clone: cloneUser},
	}
}

// CreateUser stores u in the inner store; its rule drops nothing.
func (s *UserStore) CreateUser(ctx context.Context, u *recall.User, passwordHash string) error {
	err := s.inner.CreateUser(ctx, u, passwordHash)
	var w write
	if u != nil {
		w = write{userID: u.ID}
	}
	s.c.after(ctx, "UserStore.CreateUser", w, err)
	return err
}

// UserByUsername reads the inner store.
func (s *UserStore) UserByUsername(ctx context.Context, username string) (*recall.User, string, error) {
	return s.inner.UserByUsername(ctx, username)
}

// UserByID returns the user from the cache, filling it on a miss. An
// unknown user (ENOTFOUND) is never cached.
func (s *UserStore) UserByID(ctx context.Context, id string) (*recall.User, error) {
	if id == "" {
		return s.inner.UserByID(ctx, id)
	}
	return lookup(ctx, s.c, request[*recall.User]{
		name: nameUsers,
		key:  userKey(id),
		cd:   s.cd,
		load: func(ctx context.Context) (*recall.User, error) {
			return s.inner.UserByID(ctx, id)
		},
	})
}

// UpdateUser updates the user in the inner store, then drops the keys of
// its rule: the user's.
func (s *UserStore) UpdateUser(ctx context.Context, u *recall.User) error {
	err := s.inner.UpdateUser(ctx, u)
	var w write
	if u != nil {
		w = write{userID: u.ID}
	}
	s.c.after(ctx, "UserStore.UpdateUser", w, err)
	return err
}

// SetAdmin sets the role in the inner store, then drops the keys of its
// rule: the user's, so that the next request of the user, on any instance,
// reads the new role.
func (s *UserStore) SetAdmin(ctx context.Context, id string, admin bool) error {
	err := s.inner.SetAdmin(ctx, id, admin)
	s.c.after(ctx, "UserStore.SetAdmin", write{userID: id}, err)
	return err
}

// memoryMinBytes is the size of the smallest encoded memory state: an
// empty question id, eight one-byte numbers and three one-byte times.
const memoryMinBytes = 1 + 8 + 3*2

// encodeMemories writes the user and topic of the list once (every item
// has them; a mixed list does not encode), then each state.
func encodeMemories(ms []*recall.Memory) (entry, error) {
	e := newEncoder(16 + 64*len(ms))
	var user, topic string
	if len(ms) > 0 && ms[0] != nil {
		user, topic = ms[0].UserID, ms[0].TopicID
	}
	e.str(user)
	e.str(topic)
	e.uint(uint64(len(ms)))
	for _, m := range ms {
		if m == nil {
			return entry{}, errNilItem
		}
		if m.UserID != user || m.TopicID != topic {
			return entry{}, errMixedMemories
		}
		e.str(m.QuestionID)
		if err := e.memory(m); err != nil {
			return entry{}, err
		}
	}
	return entry{val: e.b}, nil
}

func decodeMemories(en entry) ([]*recall.Memory, error) {
	d := newDecoder(en.val)
	user, topic := d.str(), d.str()
	n := d.items(d.uint(), memoryMinBytes)
	structs := make([]recall.Memory, n)
	ms := make([]*recall.Memory, n)
	for i := range ms {
		m := &structs[i]
		m.UserID, m.TopicID = user, topic
		m.QuestionID = d.str()
		d.memory(m)
		ms[i] = m
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return ms, nil
}

func cloneMemories(ms []*recall.Memory) []*recall.Memory {
	out := make([]*recall.Memory, len(ms))
	for i, m := range ms {
		c := *m
		out[i] = &c
	}
	return out
}

// encodeDays writes days, which are in increasing order, as the first and
// then the gaps.
func encodeDays(days []int) (entry, error) {
	e := newEncoder(2 + 2*len(days))
	e.uint(uint64(len(days)))
	prev := 0
	for i, d := range days {
		if d < prev || (i > 0 && d == prev) {
			return entry{}, errDaysOrder
		}
		e.uint(uint64(d - prev))
		prev = d
	}
	return entry{val: e.b}, nil
}

func decodeDays(en entry) ([]int, error) {
	d := newDecoder(en.val)
	days := make([]int, d.items(d.uint(), 1))
	prev := 0
	for i := range days {
		gap := d.count()
		if i > 0 && gap == 0 {
			d.fail("days repeated")
		}
		if gap > math.MaxInt32 || prev > math.MaxInt32 {
			d.fail("day out of range")
		}
		prev += gap
		days[i] = prev
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return days, nil
}

// userFormat is the first byte of an encoded user. Users have a version of
// their own: version 2 added the admin role after the time zone; a user
// cached by a Recall that wrote version 1 (the shared formatVersion) is
// dropped and loaded again.
const userFormat byte = 2

func encodeUser(u *recall.User) (entry, error) {
	if u == nil {
		return entry{}, errNilItem
	}
	e := newEncoderOf(userFormat, 32+len(u.ID)+len(u.Username)+len(u.TimeZone)+10*len(u.Weights))
	e.str(u.ID)
	e.str(u.Username)
	e.time(u.CreatedAt)
	e.str(u.TimeZone)
	var admin uint64
	if u.Admin {
		admin = 1
	}
	e.uint(admin)
	e.uint(uint64(len(u.Weights)))
	for _, w := range u.Weights {
		e.uint(math.Float64bits(w))
	}
	return entry{val: e.b}, nil
}

func decodeUser(en entry) (*recall.User, error) {
	d := newDecoderOf(userFormat, en.val)
	u := &recall.User{ID: d.str(), Username: d.str(), CreatedAt: d.time(), TimeZone: d.str()}
	switch d.uint() {
	case 0:
	case 1:
		u.Admin = true
	default:
		d.fail("admin flag")
	}
	if n := d.items(d.uint(), 1); n > 0 {
		u.Weights = make([]float64, n)
		for i := range u.Weights {
			u.Weights[i] = math.Float64frombits(d.uint())
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return u, nil
}

func cloneUser(u *recall.User) *recall.User {
	c := *u
	c.Weights = slices.Clone(u.Weights)
	return &c
}

// memory writes the state of m (all but its ids).
func (e *encoder) memory(m *recall.Memory) error {
	if m.State < 0 {
		return errNegativeState
	}
	e.uint(uint64(m.State))
	e.uint(math.Float64bits(m.Stability))
	e.uint(math.Float64bits(m.Difficulty))
	e.time(m.Due)
	for _, n := range []int{m.ScheduledDays, m.Reps, m.Lapses} {
		if err := e.count(n); err != nil {
			return err
		}
	}
	e.time(m.FirstReview)
	e.time(m.LastReview)
	return nil
}

// memory reads what encoder.memory wrote into m.
func (d *decoder) memory(m *recall.Memory) {
	if st := d.uint(); st > math.MaxInt8 {
		d.fail("card state out of range")
	} else {
		m.State = recall.CardState(st)
	}
	m.Stability = math.Float64frombits(d.uint())
	m.Difficulty = math.Float64frombits(d.uint())
	m.Due = d.time()
	m.ScheduledDays, m.Reps, m.Lapses = d.count(), d.count(), d.count()
	m.FirstReview = d.time()
	m.LastReview = d.time()
}
