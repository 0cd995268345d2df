package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/tz"
	"github.com/trymetriqs/metriqs/lib/web"
)

// PasswordInput is the body of POST /api/account/password.
type PasswordInput struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword replaces the password after checking the current one, and signs out every
// other session: whoever else knew the old password is locked out at once.
func (s *Service) ChangePassword(ctx context.Context, sess *session.Session, in PasswordInput, c web.Client) error {
	if in.CurrentPassword == "" {
		return problem.Invalid("current_password", "Field \"current_password\" is required.")
	}
	if in.NewPassword == "" {
		return problem.Invalid("new_password", "Field \"new_password\" is required.")
	}
	rec, err := s.load(ctx, sess.UserID)
	if err != nil {
		return err
	}
	if err := password.Check("new_password", in.NewPassword, rec.Email); err != nil {
		return err
	}
	if err := s.limits.Allow(ctx, limitPasswordUser, sess.UserID); err != nil {
		return err
	}
	if !s.matches(rec.PasswordHash, in.CurrentPassword) {
		if err := s.log.Record(ctx, sess.UserID, audit.SignInFailed, c, "wrong current password on password change"); err != nil {
			return err
		}
		return password.Wrong("current_password")
	}
	hash, err := password.Hash(in.NewPassword)
	if err != nil {
		return problem.Internal(fmt.Errorf("change password: hash: %w", err))
	}
	if err := s.swapPassword(ctx, sess.UserID, rec.PasswordHash, hash, c); err != nil {
		return err
	}
	s.notify(ctx, sess.UserID, notice.PasswordChanged, occurrence(hash), c, nil)
	// The other sessions (and pending sign-ins) go after the hash, so that one signed in with
	// the old password a moment before is caught too.
	_, err = s.sessions.RevokeAll(ctx, sess.UserID, sess.ID)
	return err
}

// ErrPasswordChanged is the answer to a password change that lost a race with another one:
// the password it checked is no longer the account's.
var ErrPasswordChanged = problem.Conflict("password_conflict", "The password was changed by another request meanwhile. Sign in again with the new password if you were signed out.")

// swapPassword replaces the hash only if it is still old, the one the current password was
// checked against (compare-and-set under WATCH): of two changes at the same instant exactly
// one wins and writes its security-log entry, in the same transaction; the other gets
// ErrPasswordChanged and changes nothing. A WATCH broken by another field of the user hash
// (a sign-in generation, a profile edit) is retried.
func (s *Service) swapPassword(ctx context.Context, uid, old, hash string, c web.Client) error {
	uk := s.userKey(uid)
	swap := func(tx *redis.Tx) error {
		stored, err := tx.HGet(ctx, uk, fPass).Result()
		if err != nil {
			return store.Err(err)
		}
		if stored != old {
			return ErrPasswordChanged
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, uk, fPass, hash)
			s.log.Add(ctx, p, uid, audit.PasswordChanged, c, "Every other session is signed out.")
			return nil
		})
		return err
	}
	for range 5 {
		if err := s.st.R.Watch(ctx, swap, uk); !errors.Is(err, redis.TxFailedErr) {
			return store.Err(err)
		}
	}
	return ErrPasswordChanged
}

// SessionView is one row of GET /api/account/sessions.
type SessionView struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	MFA        bool      `json:"mfa"`
	Current    bool      `json:"current"`
}

// ListSessions returns the user's live sessions, newest first, marking the caller's own.
func (s *Service) ListSessions(ctx context.Context, sess *session.Session) ([]SessionView, error) {
	list, err := s.sessions.List(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	views := make([]SessionView, 0, len(list))
	for _, x := range list {
		views = append(views, SessionView{ID: x.ID, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, IP: x.IP,
			UserAgent: x.UserAgent, MFA: x.MFA, Current: x.ID == sess.ID})
	}
	return views, nil
}

// RevokeSession ends one session by id, or every other one for id "others".
func (s *Service) RevokeSession(ctx context.Context, sess *session.Session, id string, c web.Client) error {
	switch id {
	case "":
		return problem.Invalid("id", "Query parameter \"id\" is required (a session id, or \"others\").")
	case "others":
		n, err := s.sessions.RevokeAll(ctx, sess.UserID, sess.ID)
		if err != nil {
			return err
		}
		return s.log.Record(ctx, sess.UserID, audit.OtherSessionsRevoked, c, fmt.Sprintf("%d sessions signed out", n))
	}
	if err := s.sessions.Revoke(ctx, sess.UserID, id); err != nil {
		return err
	}
	detail := "session " + id
	if id == sess.ID {
		detail += " (this session)"
	}
	return s.log.Record(ctx, sess.UserID, audit.SessionRevoked, c, detail)
}

// SecurityLog returns the user's security events, newest first.
func (s *Service) SecurityLog(ctx context.Context, userID string) ([]audit.Event, error) {
	return s.log.List(ctx, userID)
}

// ProfileInput is the body of PATCH /api/me: only the fields present change.
type ProfileInput struct {
	Name     *string `json:"name"`
	TimeZone *string `json:"timezone"`
}

// UpdateProfile changes the name and/or time zone.
func (s *Service) UpdateProfile(ctx context.Context, userID string, in ProfileInput) (*User, error) {
	fields := map[string]any{}
	if in.Name != nil {
		name, err := checkName(*in.Name)
		if err != nil {
			return nil, err
		}
		fields[fName] = name
	}
	if in.TimeZone != nil {
		zone, err := tz.Canonical(*in.TimeZone)
		if err != nil {
			return nil, err
		}
		fields[fTZ] = zone
	}
	if len(fields) == 0 {
		return nil, problem.Invalid("", "Send at least one of \"name\" and \"timezone\".")
	}
	if _, err := s.Get(ctx, userID); err != nil {
		return nil, err
	}
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.userKey(userID), fields)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	return s.Get(ctx, userID)
}
