package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// ResealStats counts what Reseal found.
type ResealStats struct {
	Checked    int // integrations looked at
	Resealed   int // integrations with at least one token brought under the active key
	Unreadable int // integrations whose tokens no configured key opens (left as they are)
	Gone       int // index entries whose integration no longer exists (removed from the index)
}

// Reseal brings every stored token under the newest TOKEN_KEYS key, so an old key can then
// be removed from the ring. It walks the global index of integrations (no keyspace scan)
// and re-seals each token inside a WATCH transaction, so a refresh that writes meanwhile
// wins and is not overwritten with an older token. Run it after putting a new key first in
// TOKEN_KEYS (cmd/reseal).
func (s *Service) Reseal(ctx context.Context) (ResealStats, error) {
	var st ResealStats
	iter := s.o.Store.R.SScan(ctx, s.indexKey(), 0, "", 200).Iterator()
	for iter.Next(ctx) {
		userID, providerID, ok := strings.Cut(iter.Val(), ":")
		if !ok {
			continue
		}
		st.Checked++
		outcome, err := s.resealOne(ctx, userID, providerID)
		if err != nil {
			return st, err
		}
		switch outcome {
		case resealed:
			st.Resealed++
		case unopenable:
			st.Unreadable++
		case gone:
			st.Gone++
			if err := s.o.Store.R.SRem(ctx, s.indexKey(), iter.Val()).Err(); err != nil {
				return st, store.Err(err)
			}
		}
	}
	return st, store.Err(iter.Err())
}

type resealOutcome int

const (
	current resealOutcome = iota
	resealed
	unopenable
	gone
)

func (s *Service) resealOne(ctx context.Context, userID, providerID string) (resealOutcome, error) {
	key := s.recordKey(userID, providerID)
	for range 3 {
		var outcome resealOutcome
		err := s.o.Store.R.Watch(ctx, func(tx *redis.Tx) error {
			f, err := tx.HGetAll(ctx, key).Result()
			if err != nil {
				return err
			}
			if len(f) == 0 {
				outcome = gone
				return nil
			}
			updates := map[string]any{}
			for _, field := range []string{fAccess, fRefresh} {
				v := f[field]
				if v == "" || !s.o.Sealer.Stale(v) {
					continue
				}
				plain, err := s.o.Sealer.Open(v, aad(userID, providerID, field))
				if err != nil {
					outcome = unopenable
					return nil
				}
				if updates[field], err = s.o.Sealer.Seal(plain, aad(userID, providerID, field)); err != nil {
					return err
				}
			}
			if len(updates) == 0 {
				return nil
			}
			outcome = resealed
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, updates)
				return nil
			})
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue // written meanwhile: look again
		}
		if err != nil {
			return 0, store.Err(fmt.Errorf("integration: reseal %s: %w", key, err))
		}
		return outcome, nil
	}
	return 0, fmt.Errorf("integration: reseal %s: kept changing", key)
}
