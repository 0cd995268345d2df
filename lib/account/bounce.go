package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/identity"
	"github.com/trymetriqs/metriqs/lib/store"
)

// MarkBounced runs write (the bounce record of lib/mail) for the live account whose current
// address is email (given to write normalized), in one transaction that WATCHes the account: if the account is being
// deleted, or its address changes meanwhile, nothing is written, so a late bounce report can
// neither recreate a purged account's key nor mark an address the account no longer has.
// It reports whether an account was marked; an unknown address is not an error (the report
// may be about mail to an address that changed since).
func (s *Service) MarkBounced(ctx context.Context, email string, write func(p redis.Pipeliner, userID, address string)) (bool, error) {
	norm, err := identity.Email(email)
	if err != nil {
		return false, nil
	}
	id, err := s.findEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	marked := false
	watched := func(tx *redis.Tx) error {
		marked = false
		rec, err := s.load(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (rec.Deleted || rec.Email != norm)) {
			return nil
		} else if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { write(p, id, norm); return nil })
		marked = err == nil
		return err
	}
	for range 3 { // the account changed meanwhile (a sign-in, a setting): read it again
		if err = s.st.R.Watch(ctx, watched, s.userKey(id)); !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("account: mark %s bounced: %w", id, store.Err(err))
	}
	return marked, nil
}
