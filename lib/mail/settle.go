package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// casAttempts bounds the optimistic retries of update when other writers keep changing the
// user's mail hash (other messages of the same user, concurrent deliveries).
const casAttempts = 16

// update is a compare-and-set of one record: WATCH the user's mail hash, read the record,
// let change decide, write it back in MULTI together with also's commands. EXEC fails if the
// hash changed in between (another delivery claimed, the purge deleted it), and the read
// starts again. found is false when the record does not exist: nothing is written then, so a
// purged account's hash is never recreated outside its index.
func (s *Service) update(ctx context.Context, userID, key string, change func(*stored) (bool, error), also func(redis.Pipeliner)) (found bool, err error) {
	hash := s.mailKey(userID)
	for range casAttempts {
		err = s.st.R.Watch(ctx, func(tx *redis.Tx) error {
			found = false
			raw, err := tx.HGet(ctx, hash, key).Result()
			if errors.Is(err, redis.Nil) {
				return nil
			} else if err != nil {
				return err
			}
			found = true
			return s.swap(ctx, tx, hash, raw, change, also)
		}, hash)
		if !errors.Is(err, redis.TxFailedErr) {
			return found, wrapStore(err)
		}
	}
	return found, fmt.Errorf("mail: record %s kept changing: %w", key, errBusy)
}

// swap applies change to the record read as raw and writes it back in the transaction.
func (s *Service) swap(ctx context.Context, tx *redis.Tx, hash, raw string, change func(*stored) (bool, error), also func(redis.Pipeliner)) error {
	r, err := decode(raw)
	if err != nil {
		return err
	}
	write, err := change(&r)
	if err != nil || !write {
		return err
	}
	_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, hash, r.Key, encode(r))
		if also != nil {
			also(p)
		}
		return nil
	})
	return err
}

// wrapStore translates Redis errors and leaves the package's own (errBusy, decode) alone.
func wrapStore(err error) error {
	if err == nil || errors.Is(err, errBusy) {
		return err
	}
	return store.Err(err)
}

// settle records the end of a message: sent, bounced or failed. The data it was rendered
// from goes (its links carry tokens), and so does the claim. A message already settled by a
// delivery that took over after this one's lease stays as that one recorded it.
func (s *Service) settle(ctx context.Context, c *claim, status string, rc Receipt, messageID string, cause error, also func(redis.Pipeliner)) {
	ctx = context.WithoutCancel(ctx)
	_, err := s.update(ctx, c.userID, c.rec.Key, func(r *stored) (bool, error) {
		if r.settled() {
			return false, nil
		}
		r.Status, r.Error, r.Reply, r.MessageID = status, errText(cause), rc.Reply, messageID
		r.Data, r.Claim, r.ClaimUntil = nil, "", time.Time{}
		if status == StatusSent {
			r.SentAt = s.now().UTC()
		}
		return true, nil
	}, also)
	logged("record "+status, c, err)
}

// release gives a claimed message back to the queue after a temporary failure, if this
// delivery still holds it, so QStash's next attempt can claim it at once.
func (s *Service) release(ctx context.Context, c *claim, cause error) {
	ctx = context.WithoutCancel(ctx)
	_, err := s.update(ctx, c.userID, c.rec.Key, func(r *stored) (bool, error) {
		if r.Claim != c.token {
			return false, nil
		}
		r.Status, r.Claim, r.ClaimUntil, r.Error = StatusQueued, "", time.Time{}, errText(cause)
		return true, nil
	}, nil)
	logged("release", c, err)
}

// recordBounce adds the user's bounce to the transaction that records the bounced message.
// The bounce key enters the index in that same transaction.
func (s *Service) recordBounce(ctx context.Context, c *claim, ref *Refusal) func(redis.Pipeliner) {
	b, _ := json.Marshal(BounceInfo{Address: c.rec.To, Reason: fmt.Sprintf("%d %s", ref.Code, ref.Reply), At: s.now().UTC()})
	return func(p redis.Pipeliner) {
		p.Set(ctx, s.bounceKey(c.userID), b, 0)
		s.st.Own(ctx, p, c.userID, s.bounceKey(c.userID))
	}
}
