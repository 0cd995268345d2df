package billing

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/store"
)

// AddFor stores r under the account's billing reference while the account is live, and
// unlinked (AddUnlinked) once it is closed or gone. The reference is read or created in a
// WATCHed transaction over the user's record, so a deletion landing meanwhile never gets a
// link (and an index) written back for a purged user.
func (b *Store) AddFor(ctx context.Context, userID string, r Record) (*Record, error) {
	if err := validate(r); err != nil {
		return nil, err
	}
	ref, err := b.liveCustomer(ctx, userID)
	if errors.Is(err, ErrAccountGone) {
		return b.add(ctx, "bcus_"+ids.New(), r)
	}
	if err != nil {
		return nil, err
	}
	return b.add(ctx, ref, r)
}

func (b *Store) liveCustomer(ctx context.Context, userID string) (string, error) {
	uk, lk := b.st.Key("user", userID), b.linkKey(userID)
	var ref string
	read := func(tx *redis.Tx) error {
		v, err := tx.HMGet(ctx, uk, "email", "deleted").Result()
		if err != nil {
			return err
		}
		if email, _ := v[0].(string); email == "" || v[1] != nil {
			return ErrAccountGone
		}
		if ref, err = tx.Get(ctx, lk).Result(); !errors.Is(err, redis.Nil) {
			return err
		}
		ref = "bcus_" + ids.New()
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, lk, ref, 0)
			b.st.Own(ctx, p, userID, lk)
			return nil
		})
		return err
	}
	for range 20 {
		err := b.st.R.Watch(ctx, read, uk, lk)
		if errors.Is(err, ErrAccountGone) {
			return "", err
		}
		if !errors.Is(err, redis.TxFailedErr) {
			return ref, store.Err(err)
		}
	}
	return "", store.Err(redis.TxFailedErr)
}
