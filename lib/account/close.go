package account

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// errClosed answers a deletion of an account that is already closed — one that lost the race
// with a parallel deletion, or came after it — as any request after a deletion is answered.
var errClosed = problem.Unauthenticated("This account no longer exists.")

// markAttempts bounds the retries of markClosed when the user's record changes under it for
// another reason (a profile edit): each retry re-reads it.
const markAttempts = 5

// markClosed is the one transition of an account from live to closed. Under WATCH on the
// user's record it commits only if the account is still live and the record did not change
// meanwhile, so of parallel deletions exactly one marks the account, logs the event and
// runs also (the caller's tombstone); the others get errClosed and write nothing.
func (s *Service) markClosed(ctx context.Context, rec *record, c web.Client, also func(redis.Pipeliner)) error {
	uk := s.userKey(rec.ID)
	for range markAttempts {
		err := s.st.R.Watch(ctx, func(tx *redis.Tx) error {
			if err := s.stillLive(ctx, tx, uk); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, uk, fDeleted, s.now().Unix())
				p.Del(ctx, s.emailKeys(rec.Email)...) // under whichever key it is
				p.SRem(ctx, s.totpIndexKey(), rec.ID)
				s.log.Add(ctx, p, rec.ID, audit.AccountDeleted, c, "")
				if also != nil {
					also(p)
				}
				return nil
			})
			return err
		}, uk)
		if !errors.Is(err, redis.TxFailedErr) {
			return store.Err(err)
		}
	}
	return problem.Conflict("conflict", "The account changed while it was being deleted. Try again.")
}

// live loads the record of an account that is still open. A closed or purged one answers
// errClosed, as after a deletion: a request that passed the session check just before a
// parallel deletion closed the account (and its purge removed the record) gets a 401, not
// the 500 of a bare ErrNotFound.
func (s *Service) live(ctx context.Context, id string) (*record, error) {
	rec, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return nil, errClosed
	}
	return rec, err
}

// stillLive answers errClosed unless the watched record uk is a live account.
func (s *Service) stillLive(ctx context.Context, tx *redis.Tx, uk string) error {
	v, err := tx.HMGet(ctx, uk, fEmail, fDeleted).Result()
	if err != nil {
		return err
	}
	email, _ := v[0].(string)
	deleted, _ := v[1].(string)
	if email == "" || deleted != "" {
		return errClosed
	}
	return nil
}
