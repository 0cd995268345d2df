package account

import (
	"context"
	"errors"
	"strconv"
	"time"
	// Embedded zone data: a function runtime need not have /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/trymetriqs/metriqs/lib/identity"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/tz"
)

// User is an account as the API shows it.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	CreatedAt   time.Time `json:"created_at"`
	TOTPEnabled bool      `json:"totp_enabled"`
	// EmailVerified: the owner proved the address with an e-mailed link (verify.go). Accounts
	// made before verification existed read false until they verify.
	EmailVerified bool `json:"email_verified"`
	// EmailBounced is the address mail to the account bounced at (a 5xx from the receiving
	// server), when it did: GET /api/me sets it (Links.Me) for the banner.
	EmailBounced string `json:"email_bounced,omitempty"`
	// RecoveryCodesLeft is how many unused recovery codes the account has, only with 2FA on
	// and only in GET /api/me (Links.Me), so Settings can say when to make new ones.
	RecoveryCodesLeft *int64 `json:"recovery_codes_left,omitempty"`
	// TimeZone is an IANA name; reports and schedules are computed in it.
	TimeZone string `json:"timezone"`
}

// record is a user as stored: the User plus what never leaves lib.
type record struct {
	User
	PasswordHash string
	Deleted      bool
	// Gen is the sign-in generation read with the hash (session.GenField).
	Gen string
}

// Fields of the user hash.
const (
	fEmail   = "email"
	fName    = "name"
	fPass    = "pw"
	fCreated = "created"
	fTZ      = "tz"
	fTOTP    = "totp"
	fDeleted = "deleted"
	// fVerified is "1" once the current address is proven.
	fVerified = "email_verified"
)

func (s *Service) userKey(id string) string { return s.st.Key("user", id) }

func (s *Service) load(ctx context.Context, id string) (*record, error) {
	f, err := s.st.R.HGetAll(ctx, s.userKey(id)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	if len(f) == 0 {
		return nil, store.ErrNotFound
	}
	created, _ := strconv.ParseInt(f[fCreated], 10, 64)
	zone := storedZone(f[fTZ])
	return &record{
		User: User{ID: id, Email: f[fEmail], Name: f[fName], CreatedAt: time.Unix(created, 0).UTC(),
			TOTPEnabled: f[fTOTP] == "1", TimeZone: zone, EmailVerified: f[fVerified] == "1"},
		PasswordHash: f[fPass],
		Deleted:      f[fDeleted] != "",
		Gen:          f[session.GenField],
	}, nil
}

// lookup finds the live account for an e-mail address; ErrNotFound when there is none.
func (s *Service) lookup(ctx context.Context, email string) (*record, error) {
	id, err := s.findEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Deleted {
		return nil, store.ErrNotFound
	}
	return rec, nil
}

// Get returns a live user.
func (s *Service) Get(ctx context.Context, id string) (*User, error) {
	rec, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return nil, problem.Unauthenticated("This account no longer exists.")
	}
	if err != nil {
		return nil, err
	}
	return &rec.User, nil
}

// NormalizeEmail is the one form of an address that signup stores and login looks up
// (lib/identity: NFKC and lower-cased, so ｘ@example.com is x@example.com; control and format
// characters refused).
func NormalizeEmail(raw string) (string, error) { return identity.Email(raw) }

// checkName validates a display name: optional, at most 100 characters (lib/identity: NFKC,
// spaces collapsed; control and format characters refused).
func checkName(name string) (string, error) { return identity.Name(name) }

// storedZone reads a profile's zone. A link stored before zones were canonicalized (Asia/Calcutta)
// reads as its zone (Asia/Kolkata: the same rules); a name no longer accepted reads as UTC, which
// ./UTC and Factory were anyway (posixrules, America/New_York's rules, is the one that changes).
func storedZone(name string) string {
	if zone, err := tz.Canonical(name); err == nil {
		return zone
	}
	return tz.UTC
}
