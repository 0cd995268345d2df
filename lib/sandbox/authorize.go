package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
)

// authRequest is an authorization request waiting on the consent page, and then (with
// Scopes narrowed to what the user allowed) the authorization code's record.
type authRequest struct {
	UserID      string   `json:"uid"`
	ClientID    string   `json:"client_id"`
	RedirectURI string   `json:"redirect_uri"`
	Scopes      []string `json:"scopes"`
	State       string   `json:"state"`
	Challenge   string   `json:"code_challenge"`
}

// A PKCE challenge is a base64url SHA-256: 43 characters (RFC 7636 §4.2).
var challengeShape = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// Authorize serves GET /api/sandbox/authorize: it checks the request as RFC 6749 §4.1.2.1
// says (an unknown client or a redirect URI other than the registered one is shown, never
// redirected to; any other fault is sent back to the client) and shows the consent page.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("client_id") != s.o.Client.ClientID || s.o.Client.ClientID == "" {
		return showError(w, http.StatusBadRequest, "Unknown application", "The application that sent you here is not registered with the sandbox.")
	}
	if q.Get("redirect_uri") != s.o.RedirectURI {
		return showError(w, http.StatusBadRequest, "Wrong redirect address", "The application asked to send you back to an address it did not register.")
	}
	back := func(code, desc string) error {
		return redirect(w, r, s.o.RedirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {q.Get("state")}})
	}
	if q.Get("response_type") != "code" {
		return back("unsupported_response_type", "Only the authorization code flow is supported.")
	}
	if q.Get("code_challenge_method") != "S256" || !challengeShape.MatchString(q.Get("code_challenge")) {
		return back("invalid_request", "PKCE with code_challenge_method=S256 is required.")
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 || !known(scopes) {
		return back("invalid_scope", "Ask for sites.read and/or metrics.read.")
	}
	userID, err := s.o.Identify(r)
	if err != nil {
		return showError(w, http.StatusUnauthorized, "Sign in first", "Sign in to Metriqs in this browser, then connect Demo data again.")
	}
	req := authRequest{UserID: userID, ClientID: s.o.Client.ClientID, RedirectURI: s.o.RedirectURI,
		Scopes: scopes, State: q.Get("state"), Challenge: q.Get("code_challenge")}
	id := ids.New()
	if err := s.save(r.Context(), userID, s.key("req", id), req, requestTTL); err != nil {
		return err
	}
	var shown []provider.Scope
	for _, sc := range provider.ScopeTable[provider.Demo] {
		if slices.Contains(scopes, sc.Name) {
			shown = append(shown, sc)
		}
	}
	return writePage(w, http.StatusOK, consentPage{
		AccountID: accountOf(userID), AccountName: "Demo Shop",
		Action: provider.DemoAuthorizePath, RequestID: id, Scopes: shown,
	}.render())
}

// Decide serves POST /api/sandbox/authorize, the consent form: request (the pending
// request's id), decision (allow or deny) and the scope boxes left ticked. The request is
// single use and must belong to the signed-in user, so a forged form cannot grant anything.
func (s *Server) Decide(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return showError(w, http.StatusBadRequest, "Unreadable form", "The consent form could not be read.")
	}
	userID, err := s.o.Identify(r)
	if err != nil {
		return showError(w, http.StatusUnauthorized, "Sign in first", "Sign in to Metriqs in this browser, then connect Demo data again.")
	}
	id := r.PostForm.Get("request")
	var req authRequest
	if !ids.Valid(id) {
		return showError(w, http.StatusBadRequest, "Request expired", "This authorization request has expired or was already answered. Start again from Metriqs.")
	}
	raw, err := s.o.Store.R.GetDel(r.Context(), s.key("req", id)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return store.Err(err)
	}
	if err != nil || json.Unmarshal([]byte(raw), &req) != nil || req.UserID != userID {
		return showError(w, http.StatusBadRequest, "Request expired", "This authorization request has expired or was already answered. Start again from Metriqs.")
	}
	allowed := intersect(req.Scopes, r.PostForm["scope"])
	if r.PostForm.Get("decision") != "allow" || len(allowed) == 0 {
		return redirect(w, r, req.RedirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user denied access."}, "state": {req.State}})
	}
	req.Scopes = allowed
	code := ids.Token(32)
	if err := s.save(r.Context(), userID, s.key("code", hash(code)), req, codeTTL); err != nil {
		return err
	}
	return redirect(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}})
}

// save stores v as JSON under key for ttl, owned by the user.
func (s *Server) save(ctx context.Context, userID, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.o.Store.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// Short-lived and single-use: out of the user's index (lib/store index.go).
		store.SetShortLived(ctx, p, key, b, ttl)
		return nil
	})
	return store.Err(err)
}

func redirect(w http.ResponseWriter, r *http.Request, base string, q url.Values) error {
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, base+"?"+q.Encode(), http.StatusFound)
	return nil
}

func known(scopes []string) bool {
	for _, sc := range scopes {
		if !slices.ContainsFunc(provider.ScopeTable[provider.Demo], func(k provider.Scope) bool { return k.Name == sc }) {
			return false
		}
	}
	return true
}

// intersect keeps the requested scopes that were also ticked, in the requested order.
func intersect(requested, ticked []string) []string {
	var out []string
	for _, sc := range requested {
		if slices.Contains(ticked, sc) {
			out = append(out, sc)
		}
	}
	return out
}
