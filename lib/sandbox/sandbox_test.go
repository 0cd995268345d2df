package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/testclock"
)

const redirectURI = "https://app.example" + provider.CallbackPath

type env struct {
	st    *store.Store
	srv   *httptest.Server
	p     *provider.Provider
	clock *testclock.Clock
	user  string // who the sandbox thinks is signed in ("" for nobody)
}

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{st: storetest.New(t), clock: testclock.New(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), user: "user1aaaaaaaaaaaaaaaaaaaaaa"}
	creds := config.Credentials{ClientID: provider.DemoClientID, ClientSecret: "demo-secret"}
	sb := sandbox.New(sandbox.Options{
		Store: e.st, Now: e.clock.Now, Client: creds, RedirectURI: redirectURI,
		Identify: func(*http.Request) (string, error) {
			if e.user == "" {
				return "", errors.New("signed out")
			}
			return e.user, nil
		},
	})
	e.srv = httptest.NewServer(sb.Handler())
	t.Cleanup(e.srv.Close)
	r := provider.New(&config.Config{AppURL: e.srv.URL, DemoProvider: true},
		provider.WithCredentials(provider.Demo, creds))
	p, err := r.Get(provider.Demo)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	return e
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var requestField = regexp.MustCompile(`name="request" value="([a-z2-7]{26})"`)

// consent opens the authorization URL and answers the consent page; it returns the query
// of the redirect back to Metriqs.
func (e *env) consent(t *testing.T, authURL, decision string, scopes ...string) url.Values {
	t.Helper()
	res, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("authorize: %d %s", res.StatusCode, page)
	}
	m := requestField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no request id in %s", page)
	}
	form := url.Values{"request": {string(m[1])}, "decision": {decision}, "scope": scopes}
	res, err = noRedirect.PostForm(e.srv.URL+provider.DemoAuthorizePath, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %s", got)
	}
	return loc.Query()
}

// connect runs the whole authorization and returns the tokens.
func (e *env) connect(t *testing.T) *oauth2.Token {
	t.Helper()
	v := oauth2.GenerateVerifier()
	back := e.consent(t, e.p.AuthCodeURL(redirectURI, "st", v), "allow", "sites.read", "metrics.read")
	tok, err := e.p.Exchange(context.Background(), redirectURI, back.Get("code"), v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) get(t *testing.T, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestFlowRefreshRotationAndRevocation(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok := e.connect(t)
	if tok.Extra("scope") != "sites.read metrics.read" || tok.Extra("account_id") == "" || tok.Expiry.IsZero() {
		t.Fatalf("token answer %+v", tok)
	}
	status, body := e.get(t, "/api/sandbox/metrics?start=2026-11-01&end=2026-11-07", tok.AccessToken)
	var m sandbox.Metrics
	if status != 200 || json.Unmarshal(body, &m) != nil || len(m.Days) != 7 || m.Currency != "usd" || len(m.TopPages) != 5 {
		t.Fatalf("metrics: %d %s", status, body)
	}
	if status, _ := e.get(t, "/api/sandbox/sites", tok.AccessToken); status != 200 {
		t.Fatalf("sites: %d", status)
	}

	// The access token expires on the sandbox's clock.
	e.clock.Add(sandbox.DefaultAccessTTL)
	if status, body := e.get(t, "/api/sandbox/metrics?start=2026-11-01&end=2026-11-07", tok.AccessToken); status != 401 || !strings.Contains(string(body), "invalid_token") {
		t.Fatalf("expired token: %d %s", status, body)
	}

	// Refresh rotates: the new pair works, the old refresh token does not.
	next, err := e.p.Refresh(ctx, tok.RefreshToken)
	if err != nil || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %+v, %v", next, err)
	}
	if status, _ := e.get(t, "/api/sandbox/metrics?start=2026-11-01&end=2026-11-01", next.AccessToken); status != 200 {
		t.Fatalf("new access token: %d", status)
	}
	// Replaying the spent refresh token is taken as theft: the whole grant is revoked.
	_, err = e.p.Refresh(ctx, tok.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reused refresh token: %v", err)
	}
	if status, _ := e.get(t, "/api/sandbox/sites", next.AccessToken); status != 401 {
		t.Fatalf("grant survived a refresh token replay: %d", status)
	}

	// A fresh grant, revoked through RFC 7009.
	tok = e.connect(t)
	if err := e.p.Revoke(ctx, http.DefaultClient, provider.Grant{RefreshToken: tok.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.get(t, "/api/sandbox/sites", tok.AccessToken); status != 401 {
		t.Fatalf("access token works after revocation: %d", status)
	}
	if _, err := e.p.Refresh(ctx, tok.RefreshToken); err == nil {
		t.Fatal("refresh token works after revocation")
	}
	// Revoking again is fine (RFC 7009 §2.2).
	if err := e.p.Revoke(ctx, http.DefaultClient, provider.Grant{RefreshToken: tok.RefreshToken}); err != nil {
		t.Fatal(err)
	}
}

func TestCodeChecks(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	v := oauth2.GenerateVerifier()
	code := e.consent(t, e.p.AuthCodeURL(redirectURI, "s", v), "allow", "sites.read", "metrics.read").Get("code")
	if _, err := e.p.Exchange(ctx, redirectURI, code, oauth2.GenerateVerifier()); err == nil {
		t.Fatal("wrong PKCE verifier accepted")
	}
	// The failed attempt spent the code.
	if _, err := e.p.Exchange(ctx, redirectURI, code, v); err == nil {
		t.Fatal("a code was accepted after a failed attempt")
	}

	code = e.consent(t, e.p.AuthCodeURL(redirectURI, "s", v), "allow", "sites.read", "metrics.read").Get("code")
	if _, err := e.p.Exchange(ctx, "https://evil.example/cb", code, v); err == nil {
		t.Fatal("a different redirect_uri was accepted")
	}

	code = e.consent(t, e.p.AuthCodeURL(redirectURI, "s", v), "allow", "sites.read", "metrics.read").Get("code")
	tok, err := e.p.Exchange(ctx, redirectURI, code, v)
	if err != nil {
		t.Fatal(err)
	}
	// Replaying the code revokes what it produced (RFC 6749 §4.1.2).
	if _, err := e.p.Exchange(ctx, redirectURI, code, v); err == nil {
		t.Fatal("code replay accepted")
	}
	if status, _ := e.get(t, "/api/sandbox/sites", tok.AccessToken); status != 401 {
		t.Fatalf("tokens from a replayed code still work: %d", status)
	}
}

func TestClientAuthentication(t *testing.T) {
	e := setup(t)
	post := func(form url.Values, user, pass string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+provider.DemoTokenPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"sbx_rt.x.y"}}
	if got := post(form, "", ""); got != 401 {
		t.Errorf("no client authentication: %d", got)
	}
	if got := post(form, provider.DemoClientID, "wrong"); got != 401 {
		t.Errorf("wrong secret: %d", got)
	}
	inBody := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {provider.DemoClientID}, "client_secret": {"demo-secret"}}
	if got := post(inBody, "", ""); got != 401 {
		t.Errorf("client_secret_post for a client_secret_basic client: %d", got)
	}
	if got := post(form, provider.DemoClientID, "demo-secret"); got != 400 {
		t.Errorf("authenticated, unknown refresh token: %d, want 400 invalid_grant", got)
	}
}

// TestStateIsHashedOwnedAndExpiring: the sandbox stores no token or code in plaintext, and
// every key it writes expires; the grant is in its user's index, the short-lived consent
// requests and codes expire within 30 days instead (lib/store index.go).
func TestStateIsHashedOwnedAndExpiring(t *testing.T) {
	e := setup(t)
	tok := e.connect(t)
	ctx := context.Background()
	index, _ := e.st.R.SMembers(ctx, e.st.IndexKey(e.user)).Result()
	for _, k := range storetest.Keys(t, e.st) {
		if !strings.Contains(k, "sandbox:") {
			continue
		}
		if ttl := e.st.R.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry", k)
		}
		found := false
		for _, m := range index {
			found = found || m == k
		}
		if ttl := e.st.R.PTTL(ctx, k).Val(); !found && (ttl <= 0 || ttl > store.MaxUnindexedTTL) {
			t.Errorf("%s is not in the user's index and has no expiry within 30 days", k)
		}
		dump := fmt.Sprint(e.st.R.HGetAll(ctx, k).Val(), e.st.R.Get(ctx, k).Val())
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
			_, s, _ := strings.Cut(secret[7:], ".")
			if strings.Contains(dump, s) {
				t.Errorf("%s holds a token in plaintext", k)
			}
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	week := sandbox.Generate("acct_demo_a", day("2026-11-01"), day("2026-11-07"))
	one := sandbox.Generate("acct_demo_a", day("2026-11-03"), day("2026-11-03"))
	if week.Days[2] != one.Days[0] {
		t.Fatalf("a day's numbers depend on the range: %+v vs %+v", week.Days[2], one.Days[0])
	}
	again := sandbox.Generate("acct_demo_a", day("2026-11-01"), day("2026-11-07"))
	other := sandbox.Generate("acct_demo_b", day("2026-11-01"), day("2026-11-07"))
	if week.Days[0] != again.Days[0] || week.Days[0] == other.Days[0] {
		t.Fatal("numbers are not fixed per account and day")
	}
	for _, d := range week.Days {
		if d.Visitors <= 0 || d.Signups > d.Visitors || d.Orders > d.Signups || d.Revenue < 0 {
			t.Fatalf("implausible day %+v", d)
		}
	}
}
