// Package providertest runs local stand-ins for Google, GitHub and Stripe's OAuth endpoints
// and the API calls Metriqs makes at connect time, for tests. Each checks what the real
// provider checks (client authentication style, PKCE verifier, redirect URI, parameters it
// refuses, revocation request form) and answers with the documented shapes; each fixture
// cites its source. They keep just enough state to behave: codes are single use, refresh
// tokens rotate where the real one rotates, access tokens expire on the fake's clock, and a
// revocation ends the whole grant.
package providertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// Config is how one provider behaves.
type Config struct {
	ID                     string
	ClientID, ClientSecret string
	AuthPath, TokenPath    string
	RevokePath             string
	Auth                   provider.ClientAuth
	PKCE                   bool
	// Scopes must be the authorization request's scope parameter; nil: none may be sent.
	Scopes []string
	// AuthParams must all be in the authorization request.
	AuthParams url.Values
	// RedirectInExchange: the code exchange must repeat the redirect_uri (RFC 6749 §4.1.3);
	// false: it must not be sent (Stripe refuses unknown parameters).
	RedirectInExchange bool
	Rotate             bool          // refresh tokens rotate
	AccessTTL          time.Duration // access token lifetime
	SendExpiresIn      bool          // the token answer has expires_in
	FormAnswers        bool          // token answers are form-encoded (GitHub)
	ErrorStatus        int           // status of token errors (GitHub: 200)
	BadRefresh         string        // error code for a dead refresh token
	// Extra adds provider-specific fields to token answers.
	Extra func(g *Grant) map[string]any
	// Revoke serves the revocation endpoint.
	Revoke func(f *Fake, w http.ResponseWriter, r *http.Request)
	// API registers the provider's API handlers.
	API func(f *Fake, mux *http.ServeMux)
	// Require: every request to the provider (token, revocation, API) must carry these
	// headers, or is refused with 400 (Stripe: the pinned Stripe-Version, without which the
	// answers would be in the account's default version, not the one the code reads).
	Require http.Header
}

// WhoAmIPath answers 200 to a live access token, 401 otherwise, on every fake.
const WhoAmIPath = "/test/whoami"

// Grant is one authorization the fake gave.
type Grant struct {
	ID      string
	Scopes  []string
	Access  string
	Expires time.Time
	Refresh string
}

type code struct {
	redirect, challenge string
	scopes              []string
	used                bool
}

// Fake is a running provider.
type Fake struct {
	*httptest.Server
	Config
	// RedirectURI is the registered redirect URI.
	RedirectURI string

	mu  sync.Mutex
	now func() time.Time
	// What the user does at the consent screen: grant these scopes (nil: all asked), or deny.
	GrantScopes []string
	Deny        bool
	// Faults: answer this many token requests with 503 first; answer revocations with
	// RevokeStatus (0: success).
	TokenFailures int
	RevokeStatus  int
	// BeforeToken, when set, runs at the start of the next token request (then is cleared):
	// a test's way to make something happen while a refresh is in flight.
	BeforeToken func()

	codes      map[string]*code
	grants     map[string]*Grant
	refreshUse map[string]int
	revoked    []url.Values
	seq        int
}

func start(t testing.TB, cfg Config) *Fake {
	t.Helper()
	f := &Fake{Config: cfg, now: time.Now, codes: map[string]*code{}, grants: map[string]*Grant{}, refreshUse: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+cfg.AuthPath, f.authorize)
	mux.HandleFunc("POST "+cfg.TokenPath, f.token)
	mux.HandleFunc(cfg.RevokePath, func(w http.ResponseWriter, r *http.Request) { cfg.Revoke(f, w, r) })
	if cfg.API != nil {
		cfg.API(f, mux)
	}
	// Not the provider's: a call any test can make with the user's token.
	mux.HandleFunc("GET "+WhoAmIPath, f.guard(func(w http.ResponseWriter, r *http.Request, g *Grant) {
		writeJSON(w, http.StatusOK, map[string]string{"grant": g.ID})
	}))
	f.Server = httptest.NewServer(f.requireHeaders(mux))
	f.RedirectURI = "https://app.example" + provider.CallbackPath
	t.Cleanup(f.Close)
	return f
}

// SetClock makes the fake tell time with now (share the service's clock in tests).
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Credentials are the registered client's.
func (f *Fake) Credentials() config.Credentials {
	return config.Credentials{ClientID: f.ClientID, ClientSecret: f.ClientSecret}
}

// Endpoints point a provider at the fake.
func (f *Fake) Endpoints() provider.Endpoints {
	return provider.Endpoints{Auth: f.URL + f.AuthPath, Token: f.URL + f.TokenPath, Revoke: f.URL + f.RevokePath, API: f.URL}
}

// RefreshUses says how many times each refresh token was presented.
func (f *Fake) RefreshUses() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.refreshUse {
		out[k] = v
	}
	return out
}

// Revocations are the forms (or JSON bodies, flattened) of the revocations that succeeded.
func (f *Fake) Revocations() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.revoked...)
}

// Live reports whether any grant is still live.
func (f *Fake) Live() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.grants)
}

// Bearer returns the live grant of the request's access token.
func (f *Fake) Bearer(r *http.Request) (*Grant, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live(tok)
}

// live finds the grant whose current access token is tok and has not expired.
func (f *Fake) live(tok string) (*Grant, bool) {
	for _, g := range f.grants {
		if g.Access == tok && f.now().Before(g.Expires) {
			return g, true
		}
	}
	return nil, false
}

// endGrant revokes the grant holding tok (access or refresh) and records the request.
func (f *Fake) endGrant(tok string, form url.Values) bool {
	for id, g := range f.grants {
		if g.Access == tok || g.Refresh == tok || id == tok {
			delete(f.grants, id)
			f.revoked = append(f.revoked, form)
			return true
		}
	}
	return false
}

// guard answers an API call without a live token with 401.
func (f *Fake) guard(h func(w http.ResponseWriter, r *http.Request, g *Grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := f.Bearer(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED"}})
			return
		}
		h(w, r, g)
	}
}

// requireHeaders refuses a request to the provider that lacks a header of Config.Require;
// the authorization page is the browser's, not an API call, and the whoami is not the
// provider's.
func (f *Fake) requireHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, want := range f.Require {
			if r.URL.Path != WhoAmIPath && r.URL.Path != f.AuthPath && !slices.Equal(r.Header.Values(k), want) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{
					"type": "invalid_request_error", "message": fmt.Sprintf("%s %v, want %v", k, r.Header.Values(k), want)}})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
