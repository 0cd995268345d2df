package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// LoginInput is the body of POST /api/auth/login.
type LoginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResult is a sign-in's outcome: a user with a session, or a second factor to ask for.
type LoginResult struct {
	User        *User `json:"user,omitempty"`
	MFARequired bool  `json:"mfa_required,omitempty"`
}

// ErrInvalidCredentials is the one answer for an unknown e-mail and a wrong password alike.
var ErrInvalidCredentials = problem.New(http.StatusUnauthorized, "invalid_credentials", "The e-mail address or password is not correct.")

// Login checks the credentials and, unless the account has 2FA on, signs it in on w.
func (s *Service) Login(ctx context.Context, w http.ResponseWriter, in LoginInput, c web.Client) (*LoginResult, error) {
	if in.Email == "" {
		return nil, problem.Invalid("email", "Field \"email\" is required.")
	}
	if in.Password == "" {
		return nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	// Every attempt counts against the address, a malformed e-mail too: each costs a bcrypt.
	if err := s.limits.Allow(ctx, limitLoginIP, c.IP); err != nil {
		return nil, err
	}
	rec, err := s.checkCredentials(ctx, in, c)
	if err != nil {
		return nil, err
	}
	if rec.TOTPEnabled {
		if err := s.beginMFA(ctx, w, rec, c); err != nil {
			return nil, err
		}
		return &LoginResult{MFARequired: true}, nil
	}
	if err := s.startSession(ctx, w, rec.ID, c, false, "password"); err != nil {
		return nil, err
	}
	return &LoginResult{User: &rec.User}, nil
}

// checkCredentials returns the account whose password in.Password is. An unknown e-mail and a
// wrong password take the same path through bcrypt and give the same answer, so neither the
// answer nor its timing says which accounts exist.
//
// The attempt is counted against the address before the hash is compared, in one round trip
// (INCR in a MULTI): of a burst of parallel guesses — the normal case on Vercel, where each
// request is its own instance — at most limitLoginAccount.Max reach bcrypt in a window, the
// rest get 429 (ASVS 5.0 6.3.1). Only compared attempts are logged, so the burst cannot flood
// the security log either. A correct password gives back its own attempt and nothing more.
func (s *Service) checkCredentials(ctx context.Context, in LoginInput, c web.Client) (*record, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		// Not an address any account could have: the same answer as any unknown e-mail.
		s.matches(password.DummyHash, in.Password)
		return nil, ErrInvalidCredentials
	}
	if err := s.limits.Allow(ctx, limitLoginAccount, email); err != nil {
		return nil, err
	}
	rec, err := s.lookup(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := password.DummyHash
	if rec != nil {
		hash = rec.PasswordHash
	}
	if !s.matches(hash, in.Password) || rec == nil {
		return nil, s.failedSignIn(ctx, rec, c)
	}
	return rec, s.limits.Release(ctx, limitLoginAccount, email)
}

// failedSignIn logs a wrong password for an existing account and returns the one answer.
func (s *Service) failedSignIn(ctx context.Context, rec *record, c web.Client) error {
	if rec == nil {
		return ErrInvalidCredentials
	}
	if err := s.log.Record(ctx, rec.ID, audit.SignInFailed, c, "wrong password"); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// startSession creates the session and logs the sign-in with how it was made. It checks the
// account after creating the session: an account closed meanwhile loses the new session too.
func (s *Service) startSession(ctx context.Context, w http.ResponseWriter, userID string, c web.Client, mfa bool, how string) error {
	sess, err := s.sessions.Create(ctx, w, userID, c, mfa)
	if err != nil {
		return err
	}
	if closed, err := s.closed(ctx, userID); err != nil || closed {
		_ = s.sessions.Revoke(ctx, userID, sess.ID)
		s.sessions.ClearCookie(w)
		if err != nil {
			return err
		}
		return ErrInvalidCredentials
	}
	if err := s.log.Record(ctx, userID, audit.SignIn, c, how); err != nil {
		return err
	}
	s.noticeSignIn(ctx, w, userID, sess.ID, c)
	return nil
}

// Logout ends the request's session, if it has a valid one, and clears the cookie either way:
// signing out must always leave the browser signed out.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) error {
	defer s.sessions.ClearCookie(w)
	sess, err := s.sessions.Authenticate(r)
	if err != nil {
		if p, ok := problem.As(err); ok && p.Status == http.StatusUnauthorized {
			return nil
		}
		return err
	}
	ctx := r.Context()
	if err := s.sessions.Revoke(ctx, sess.UserID, sess.ID); err != nil && !errors.Is(err, session.ErrNoSuchSession) {
		return err
	}
	return s.log.Record(ctx, sess.UserID, audit.SignOut, web.ClientOf(r), "")
}
