// Package integration connects a Metriqs user to their providers and keeps the connection
// working: the OAuth connect and callback steps (state bound to user and provider, single
// use, PKCE), tokens sealed before they reach Redis, refresh ahead of expiry under a Redis
// lock, revocation at disconnect (retried through QStash when the provider does not answer),
// the choice of what each report is about, and Client, which report generation uses to call
// a provider as the user.
//
// A token is only ever in plaintext in memory, on its way to or from the provider.
package integration

import (
	"context"
	"errors"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/outbound"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Defaults (docs/integrations.md explains them).
const (
	// DefaultRefreshMargin: a token is refreshed when it has less than this left, so a report
	// never starts with a token that expires half-way through its calls. A token shorter-lived
	// than twice the margin is refreshed at half its life instead.
	DefaultRefreshMargin = 5 * time.Minute
	// DefaultLockTTL bounds a refresh lock: longer than a refresh can take (three attempts of
	// at most refreshAttemptTimeout), so a live refresh is never overtaken, and short enough
	// that a function killed mid-refresh does not block the next one for long.
	DefaultLockTTL = 30 * time.Second
	// DefaultLockWait is how long a function waits for another one's refresh before giving
	// up for now (a function has 10 s in all).
	DefaultLockWait = 8 * time.Second
	// stateTTL: an authorization must come back within ten minutes.
	stateTTL = 10 * time.Minute
	// providerTimeout bounds one call to a provider outside report generation.
	providerTimeout = 10 * time.Second
)

// Publisher queues a job through QStash (jobs.Publisher).
type Publisher interface {
	Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error)
}

// Options are a Service's dependencies. Store, Sealer, Providers and AppURL are required.
type Options struct {
	Store     *store.Store
	Sealer    *seal.Sealer
	Providers *provider.Registry
	// Publisher queues revocation retries; nil means jobs.Default, built when first needed.
	Publisher Publisher
	// AppURL is the deployment's origin; the OAuth redirect URI is AppURL + /api/integrations/callback.
	AppURL string
	// Identify names the signed-in user of a request (the OAuth callback); nil means the
	// session cookie.
	Identify func(r *http.Request) (string, error)
	Now      func() time.Time
	// HTTPClient makes token, revocation and listing calls; nil means an outbound client.
	HTTPClient *http.Client
	// Transport carries report calls made with Client; nil means outbound.NewTransport().
	Transport http.RoundTripper
	// Notices e-mails connection-health notices (needs reconnecting, works again); nil
	// sends none.
	Notices *notice.Service
	// Plans gives the account's effective plan, whose integrations limit connect and the
	// callback enforce; nil means lib/usage over the subscription state in Store.
	Plans         Plans
	RefreshMargin time.Duration
	LockTTL       time.Duration
	LockWait      time.Duration
	// KeepAlivePage is how many index entries the keep-alive job reads per SSCAN; 0 means 100.
	KeepAlivePage int
}

// Service implements the integrations.
type Service struct {
	o      Options
	log    *audit.Log
	limits *ratelimit.Limiter
}

// New returns a Service over o, filling in defaults.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = outbound.NewClient(providerTimeout)
	}
	if o.Transport == nil {
		o.Transport = outbound.NewTransport()
	}
	if o.Identify == nil {
		o.Identify = identify
	}
	if o.RefreshMargin <= 0 {
		o.RefreshMargin = DefaultRefreshMargin
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.LockWait <= 0 {
		o.LockWait = DefaultLockWait
	}
	return &Service{o: o, log: audit.New(o.Store, o.Now), limits: ratelimit.New(o.Store)}
}

var instance = lazy.New(func() (*Service, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(cfg.TokenKeys)
	if err != nil {
		return nil, problem.Internal(err)
	}
	return New(Options{Store: st, Sealer: sealer, Providers: provider.New(cfg), AppURL: cfg.AppURL,
		Notices: notice.New(mail.Enqueue, cfg.AppURL)}), nil
})

// Default is the function instance's Service, built from the environment on first use.
func Default() (*Service, error) { return instance.Get() }

// identify reads the session cookie.
func identify(r *http.Request) (string, error) {
	m, err := session.Default()
	if err != nil {
		return "", err
	}
	s, err := m.Authenticate(r)
	if err != nil {
		return "", err
	}
	return s.UserID, nil
}

func (s *Service) redirectURI() string { return s.o.AppURL + provider.CallbackPath }

// publisher is the configured Publisher, or the instance's QStash publisher.
func (s *Service) publisher() (Publisher, error) {
	if s.o.Publisher != nil {
		return s.o.Publisher, nil
	}
	return jobs.Default()
}

// ErrNotConnected: the user has not connected that provider.
var ErrNotConnected = errors.New("integration: provider not connected")

// configured returns the provider a user may connect, or the 4xx that says why not.
func (s *Service) configured(id string) (*provider.Provider, error) {
	p, err := s.o.Providers.Get(id)
	switch {
	case errors.Is(err, provider.ErrUnknown):
		return nil, &problem.Error{Status: http.StatusUnprocessableEntity, Code: "unknown_provider", Field: "provider",
			Message: "Unknown provider. Use google-analytics, search-console, stripe, github or demo (where enabled).", Cause: err}
	case errors.Is(err, provider.ErrNotConfigured):
		return nil, &problem.Error{Status: http.StatusUnprocessableEntity, Code: "provider_not_configured", Field: "provider",
			Message: p.Name + " is not set up on this Metriqs server (no OAuth client id).", Cause: err}
	}
	return p, err
}

// known returns a provider whatever its configuration, for cleaning up after it.
func (s *Service) known(id string) (*provider.Provider, error) {
	if p, ok := s.o.Providers.Lookup(id); ok {
		return p, nil
	}
	_, err := s.configured(id)
	return nil, err
}

// withHTTP makes x/oauth2 use our outbound client for token requests.
func (s *Service) withHTTP(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.o.HTTPClient)
}
