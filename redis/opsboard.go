package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// OpsBoard is where the instances of a deployment publish the snapshots of
// their operations figures (package ops declares the Board it implements):
// each instance's under <prefix>ops:{instances}:<instance>, a key that
// expires after the snapshot's TTL, indexed by its publication time in the
// sorted set <prefix>ops:{instances}. The hash tag puts them all in one
// Cluster slot, so that one MGET reads them. Its calls are not counted in
// recall_redis_calls_total, which measures what requests cost.
type OpsBoard struct {
	c   *Client
	now func() time.Time
}

// opsIndex is the key of the index, before the prefix.
const opsIndex = "ops:{instances}"

// NewOpsBoard returns the board over c. now may be nil (time.Now).
func NewOpsBoard(c *Client, now func() time.Time) *OpsBoard {
	if now == nil {
		now = time.Now
	}
	return &OpsBoard{c: c, now: now}
}

func (b *OpsBoard) index() string              { return b.c.opts.Prefix + opsIndex }
func (b *OpsBoard) key(instance string) string { return b.c.opts.Prefix + opsIndex + ":" + instance }

var errOpsTTL = errors.New("redis: an ops snapshot needs a positive ttl")

// Publish stores the snapshot of instance for ttl and indexes it, and drops
// from the index the instances whose snapshot has expired: one round trip.
func (b *OpsBoard) Publish(ctx context.Context, instance string, snapshot []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return errOpsTTL
	}
	now := b.now().UnixMilli()
	return b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		res := rc.DoMulti(ctx,
			rc.B().Set().Key(b.key(instance)).Value(rueidis.BinaryString(snapshot)).Px(ttl).Build(),
			rc.B().Zadd().Key(b.index()).ScoreMember().ScoreMember(float64(now+ttl.Milliseconds()), instance).Build(),
			rc.B().Zremrangebyscore().Key(b.index()).Min("-inf").Max("("+strconv.FormatInt(now, 10)).Build(),
		)
		for _, r := range res {
			if err := r.Error(); err != nil {
				return err
			}
		}
		return nil
	})
}

// Snapshots returns the snapshots whose TTL has not passed, by instance:
// the index's live members, then their keys in one MGET.
func (b *OpsBoard) Snapshots(ctx context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		now := strconv.FormatInt(b.now().UnixMilli(), 10)
		members, err := rc.Do(ctx, rc.B().Zrangebyscore().Key(b.index()).Min(now).Max("+inf").Build()).AsStrSlice()
		if err != nil || len(members) == 0 {
			return err
		}
		keys := make([]string, len(members))
		for i, m := range members {
			keys[i] = b.key(m)
		}
		vals, err := rc.Do(ctx, rc.B().Mget().Key(keys...).Build()).ToArray()
		if err != nil {
			return err
		}
		for i, v := range vals {
			s, err := v.ToString()
			if rueidis.IsRedisNil(err) {
				continue // expired between the two reads
			} else if err != nil {
				return err
			}
			out[members[i]] = []byte(s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
