// Package account is everything about a Metriqs account: signing up, signing in and out,
// the password, the profile, the sessions list and the security log a user sees in Settings.
package account

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Rate limits (docs/security.md explains the numbers). Login is also slowed by bcrypt itself:
// about a quarter of a second of CPU per attempt.
var (
	limitSignupIP     = ratelimit.Limit{Name: "signup-ip", Max: 10, Window: time.Hour, ByIP: true}
	limitLoginIP      = ratelimit.Limit{Name: "login-ip", Max: 30, Window: 15 * time.Minute, ByIP: true}
	limitLoginAccount = ratelimit.Limit{Name: "login-account", Max: 10, Window: 15 * time.Minute}
	limitPasswordUser = ratelimit.Limit{Name: "password-user", Max: 5, Window: 15 * time.Minute}
)

// Service implements the account operations.
type Service struct {
	st       *store.Store
	sessions *session.Manager
	log      *audit.Log
	limits   *ratelimit.Limiter
	now      func() time.Time
	// matches is password.Matches; tests observe which hash each sign-in compares against.
	matches func(hash, pw string) bool
	sealer  *seal.Sealer
	// emailRing keys the e-mail lookup names (emailkey.go).
	emailRing config.KeyRing
	// notices e-mails security notices (notices.go); nil sends none.
	notices *notice.Service
	devices *device.Tracker
}

// New returns a Service that signs users in through sessions, seals 2FA secrets with sealer
// and keys e-mail lookups with emailKeys (EMAIL_KEYS).
func New(sessions *session.Manager, sealer *seal.Sealer, emailKeys config.KeyRing) *Service {
	st := sessions.Store()
	return &Service{st: st, sessions: sessions, log: audit.New(st, sessions.Now), limits: ratelimit.New(st),
		now: sessions.Now, matches: password.Matches, sealer: sealer, emailRing: emailKeys,
		devices: device.New(st, sessions.Now)}
}

var instance = lazy.New(func() (*Service, error) {
	m, err := session.Default()
	if err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	sealer, err := seal.New(cfg.TokenKeys)
	if err != nil {
		return nil, problem.Internal(err)
	}
	s := New(m, sealer, cfg.EmailKeys)
	s.SetNotices(notice.New(mail.Enqueue, cfg.AppURL))
	return s, nil
})

// Default is the function instance's Service, built on first use.
func Default() (*Service, error) { return instance.Get() }

// Sessions is the session manager the service uses.
func (s *Service) Sessions() *session.Manager { return s.sessions }

// Log is the security log the service writes.
func (s *Service) Log() *audit.Log { return s.log }
