// Package sandbox is the demo OAuth provider ("Demo data"), served by Metriqs itself under
// /api/sandbox/ so the product can be used end to end with no outside account: an
// authorization endpoint with a consent page, a token endpoint (authorization code with PKCE
// S256, refresh tokens that rotate and are refused, with their whole grant, when reused),
// RFC 7009 revocation, and a metrics API with deterministic synthetic data.
//
// It behaves like a strict real provider, so the integration code is tested against the
// checks real providers make. It is off (404) unless config.DemoProvider, which is on by
// default in development only.
//
// State lives in Redis under sandbox:, every key with an expiry and registered in the index
// of the Metriqs user whose sandbox account it is. Tokens are stored only as SHA-256 hashes.
package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Default lifetimes.
const (
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 30 * 24 * time.Hour
	// A code lives one minute: RFC 6749 §4.1.2 recommends at most ten.
	codeTTL = time.Minute
	// An authorization request waits this long on the consent page.
	requestTTL = 10 * time.Minute
)

// Options configures a Server.
type Options struct {
	Store *store.Store
	Now   func() time.Time
	// Client is the one registered client (Metriqs), RedirectURI its registered callback.
	Client      config.Credentials
	RedirectURI string
	// Identify names the signed-in Metriqs user, whose sandbox account is used.
	Identify func(r *http.Request) (userID string, err error)
	// AccessTTL and RefreshTTL default to DefaultAccessTTL and DefaultRefreshTTL.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
}

// Server is the sandbox provider.
type Server struct {
	o Options
}

// New returns a sandbox for o.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	return &Server{o: o}
}

var instance = lazy.New(func() (*Server, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	if !cfg.DemoProvider {
		return nil, problem.NotFound("No endpoint at this path.")
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	return New(Options{
		Store:       st,
		Client:      provider.DemoCredentials(cfg.TokenKeys),
		RedirectURI: cfg.AppURL + provider.CallbackPath,
		Identify:    identify,
	}), nil
})

// Default is the function instance's sandbox. Where the sandbox is off it answers 404, so
// the endpoints do not exist there.
func Default() (*Server, error) { return instance.Get() }

// identify is the sandbox's sign-in: the Metriqs session of the same browser.
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

func (s *Server) key(parts ...string) string {
	return s.o.Store.Key(append([]string{"sandbox"}, parts...)...)
}

// hash is how a token or code is stored: never the value itself.
func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// authenticateClient checks client_secret_basic, the only method the sandbox registered its
// client for (RFC 6749 §2.3.1: id and secret form-encoded, then Basic). A secret in the
// body is refused: a client must use the method it registered.
func (s *Server) authenticateClient(r *http.Request) bool {
	if r.PostForm.Get("client_secret") != "" {
		return false
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil || s.o.Client.ClientID == "" {
		return false
	}
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(s.o.Client.ClientID))
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(s.o.Client.ClientSecret))
	return okID&okSecret == 1
}

// accountOf is the sandbox account of a Metriqs user: stable, so the same user always sees
// the same synthetic numbers.
func accountOf(userID string) string {
	return "acct_demo_" + hash("sandbox account:" + userID)[:12]
}

// bearer reads an RFC 6750 bearer token.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Endpoint adapts a Server method to an api function: it uses the instance's sandbox, or
// answers 404 where the sandbox is off.
//
//	web.Methods{http.MethodPost: sandbox.Endpoint((*sandbox.Server).Token)}
func Endpoint(f func(*Server, http.ResponseWriter, *http.Request) error) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, err := Default()
		if err != nil {
			return err
		}
		return f(s, w, r)
	}
}

// Handler serves every sandbox endpoint at its path, for tests that run the sandbox on its
// own (httptest) rather than in the whole site.
func (s *Server) Handler() http.Handler {
	bind := func(f func(*Server, http.ResponseWriter, *http.Request) error) web.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error { return f(s, w, r) }
	}
	mux := http.NewServeMux()
	routes := map[string]web.Methods{
		provider.DemoAuthorizePath: {http.MethodGet: bind((*Server).Authorize), http.MethodPost: bind((*Server).Decide)},
		provider.DemoTokenPath:     {http.MethodPost: bind((*Server).Token)},
		provider.DemoRevokePath:    {http.MethodPost: bind((*Server).Revoke)},
		provider.DemoMetricsPath:   {http.MethodGet: bind((*Server).Metrics)},
		provider.DemoSitesPath:     {http.MethodGet: bind((*Server).Sites)},
	}
	for path, m := range routes {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { web.Serve(w, r, m) })
	}
	return mux
}
