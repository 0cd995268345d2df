package deletion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Purge is the purge-account job: it removes every key of a deleted user, found through the
// user's index — never by scanning the keyspace. Running it twice, or after a partial run, is
// safe: it deletes what is still there. It refuses to touch an account that is not deleted.
func (s *Service) Purge(ctx context.Context, body []byte) error {
	var in purgeBody
	if err := json.Unmarshal(body, &in); err != nil || !ids.Valid(in.UserID) || (in.Tombstone != "" && !ids.Valid(in.Tombstone)) {
		return jobs.Permanent(fmt.Errorf("purge-account: bad body %q", body))
	}
	return s.purge(ctx, in.UserID, in.Tombstone)
}

// purge removes the user's keys and then the tombstone (when known; the sweep knows it).
func (s *Service) purge(ctx context.Context, userID, tombstone string) error {
	deleted, err := s.isDeleted(ctx, userID)
	if err != nil {
		return err
	}
	if !deleted {
		return jobs.Permanent(fmt.Errorf("purge-account: account %s is not deleted", userID))
	}
	keys, err := s.keysOf(ctx, userID)
	if err != nil {
		return err
	}
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(start+500, len(keys))]
		if err := store.Err(s.st.R.Del(ctx, batch...).Err()); err != nil {
			return err
		}
	}
	// The user's own record goes last: while it exists, a rerun still knows the e-mail.
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.st.Key("user", userID), s.st.IndexKey(userID))
		if tombstone != "" {
			p.Del(ctx, s.tombKey(tombstone))
			p.ZRem(ctx, s.tombstones(), tombstone)
		}
		return nil
	})
	return store.Err(err)
}

// isDeleted reports whether the account was closed, or has no record at all any more (a
// purge that already ran). A tombstone without a closed account is never purged.
func (s *Service) isDeleted(ctx context.Context, userID string) (bool, error) {
	v, err := s.st.R.HMGet(ctx, s.st.Key("user", userID), "email", "deleted").Result()
	if err != nil {
		return false, store.Err(err)
	}
	email, _ := v[0].(string)
	deleted, _ := v[1].(string)
	return deleted != "" || email == "", nil
}

// Sweep purges every deleted account whose purge is overdue (its job failed, or was never
// delivered). A daily QStash schedule runs it.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	due, err := s.st.R.ZRangeByScore(ctx, s.tombstones(), &redis.ZRangeBy{Min: "-inf", Max: unix(s.now()), Count: 1000}).Result()
	if err != nil {
		return 0, store.Err(err)
	}
	n := 0
	for _, token := range due {
		uid, err := s.st.R.Get(ctx, s.tombKey(token)).Result()
		if errors.Is(err, redis.Nil) {
			// Past the backstop: everything of the user has expired already.
			s.st.R.ZRem(ctx, s.tombstones(), token)
			continue
		}
		if err != nil {
			return n, store.Err(err)
		}
		if err := s.purge(ctx, uid, token); err != nil {
			if jobs.IsPermanent(err) {
				s.st.R.Del(ctx, s.tombKey(token))
				s.st.R.ZRem(ctx, s.tombstones(), token)
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}
