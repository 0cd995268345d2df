package account

import (
	"context"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// DeleteInput is the body of POST /api/account/delete: the password, and a second factor
// when 2FA is on.
type DeleteInput struct {
	Password string `json:"password"`
	SecondFactor
}

// Closing is what the caller of Close adds to it.
type Closing struct {
	// Also adds commands to the transaction that marks the account, so a caller's own record
	// of the deletion commits with it or not at all.
	Also func(redis.Pipeliner)
	// PurgeBy is when everything of the account is gone; ID names this deletion. The
	// deletion notice says the first and is keyed by the second.
	PurgeBy time.Time
	ID      string
}

// Close checks that the request really comes from the account holder, then closes the
// account at once: it is marked deleted (no one can sign in), its e-mail address is freed,
// and every session ends. The deletion notice is queued between the check and the close:
// only the holder's request sends it, and the address is still the account's. What else
// belongs to the user is removed by lib/deletion.
func (s *Service) Close(ctx context.Context, w http.ResponseWriter, sess *session.Session, in DeleteInput, c web.Client, cl Closing) (*User, error) {
	if in.Password == "" {
		return nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	if err := s.limits.Allow(ctx, limitPasswordUser, sess.UserID); err != nil {
		return nil, err
	}
	rec, err := s.live(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	var f *SecondFactor
	if rec.TOTPEnabled {
		if err := in.SecondFactor.validate(); err != nil {
			return nil, problem.Invalid("code", "Two-factor authentication is on: send \"code\" or \"recovery_code\" too.")
		}
		f = &in.SecondFactor
	}
	if err := s.reauthenticate(ctx, sess.UserID, in.Password, f, c); err != nil {
		return nil, err
	}
	if err := s.noticeDeletion(ctx, rec.ID, c, cl.PurgeBy, cl.ID); err != nil {
		return nil, err
	}
	// Mark first, then end the sessions: a sign-in racing with this either made its session
	// before the mark (and RevokeAll ends it) or sees the mark afterwards (see Login). Of
	// parallel deletions only one marks (markClosed); the others stop here.
	if err := s.markClosed(ctx, rec, c, cl.Also); err != nil {
		return nil, err
	}
	if _, err := s.sessions.RevokeAll(ctx, rec.ID, ""); err != nil {
		return nil, err
	}
	s.sessions.ClearCookie(w)
	return &rec.User, nil
}

// Email returns the address of an account, live or closed (the purge needs it to find the
// rate-limit counters kept under it).
func (s *Service) Email(ctx context.Context, userID string) (string, error) {
	rec, err := s.load(ctx, userID)
	if err != nil {
		return "", err
	}
	return rec.Email, nil
}

// LoginLimitKey is where failed sign-ins for an address are counted.
func (s *Service) LoginLimitKey(email string) string { return s.limits.Key(limitLoginAccount, email) }

// UserLimitKeys are the rate-limit counters kept under a user id.
func (s *Service) UserLimitKeys(userID string) []string {
	return []string{s.limits.Key(limitPasswordUser, userID), s.limits.Key(limitMFAUser, userID)}
}

// closed reports whether the account was closed (or is gone), for a sign-in that must not
// survive a concurrent deletion.
func (s *Service) closed(ctx context.Context, userID string) (bool, error) {
	v, err := s.st.R.HMGet(ctx, s.userKey(userID), fEmail, fDeleted).Result()
	if err != nil {
		return false, store.Err(err)
	}
	email, _ := v[0].(string)
	deleted, _ := v[1].(string)
	return email == "" || deleted != "", nil
}
