package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// SignupInput is the body of POST /api/auth/signup.
type SignupInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// ErrEmailTaken is signup's answer for an address that already has an account. We say so
// plainly (API.md allows it): signup is rate-limited per IP, and a uniform answer would need
// an e-mail round trip the product does not have yet.
var ErrEmailTaken = problem.Conflict("email_taken", "An account with this e-mail address already exists. Sign in instead.")

// Signup creates an account and signs it in on w.
func (s *Service) Signup(ctx context.Context, w http.ResponseWriter, in SignupInput, c web.Client) (*User, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	if err := password.Check("password", in.Password, email); err != nil {
		return nil, err
	}
	name, err := checkName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := s.limits.Allow(ctx, limitSignupIP, c.IP); err != nil {
		return nil, err
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return nil, problem.Internal(fmt.Errorf("signup: hash: %w", err))
	}
	u := User{ID: ids.New(), Email: email, Name: name, CreatedAt: s.now().UTC().Truncate(1e9), TimeZone: "UTC"}
	if err := s.create(ctx, u, hash); err != nil {
		return nil, err
	}
	if err := s.startSession(ctx, w, u.ID, c, false, "account created"); err != nil {
		return nil, err
	}
	return &u, nil
}

// create stores the user, then claims the e-mail address with SET NX, so that of two
// concurrent signups for one address exactly one wins; the loser's record is removed, and no
// address is ever claimed by a record that does not exist.
func (s *Service) create(ctx context.Context, u User, hash string) error {
	// An address kept under an older EMAIL_KEYS key or the legacy hash is found here (and
	// moved under the newest key), so the SET NX below decides among every name it can have.
	if _, err := s.findEmail(ctx, u.Email); err == nil {
		return ErrEmailTaken
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	uk := s.userKey(u.ID)
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, uk, map[string]any{fEmail: u.Email, fName: u.Name, fPass: hash, fCreated: u.CreatedAt.Unix(), fTZ: u.TimeZone, fTOTP: "0"})
		s.st.Own(ctx, p, u.ID, uk)
		return nil
	})
	if err != nil {
		return store.Err(err)
	}
	// The claim and its index entry in one MULTI: a crash between them would leave the
	// address key outside the index, for ever (lib/store index.go).
	var claim *redis.BoolCmd
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		claim = p.SetNX(ctx, s.emailKey(u.Email), u.ID, 0)
		s.st.Own(ctx, p, u.ID, s.emailKey(u.Email))
		return nil
	})
	claimed := err == nil && claim.Val()
	if err != nil || !claimed {
		s.st.R.Del(ctx, uk, s.st.IndexKey(u.ID))
		if err != nil {
			return store.Err(err)
		}
		return ErrEmailTaken
	}
	return nil
}
