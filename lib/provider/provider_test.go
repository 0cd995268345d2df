package provider_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/provider/providertest"
)

// registry points id at fake f, the way tests (and only tests) can.
func registry(t *testing.T, id string, f *providertest.Fake) *provider.Provider {
	t.Helper()
	r := provider.New(&config.Config{AppURL: "https://app.example"},
		provider.WithEndpoints(id, f.Endpoints()), provider.WithCredentials(id, f.Credentials()))
	p, err := r.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authorize plays the browser: it opens the authorization URL and returns the query the
// provider redirects back with.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusFound {
		b := make([]byte, 300)
		n, _ := res.Body.Read(b)
		t.Fatalf("authorize: %d %s", res.StatusCode, b[:n])
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func bearerClient(tok *oauth2.Token) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(tok))
}

// TestEachProviderAgainstItsFake runs connect, list, refresh and revoke for every real
// provider against a stand-in that refuses what the real one refuses.
func TestEachProviderAgainstItsFake(t *testing.T) {
	cases := []struct {
		id          string
		fake        func(*testing.T) *providertest.Fake
		account     string
		choices     []string
		rotates     bool
		revokedWith string // form field the revocation carried
	}{
		{provider.GoogleAnalytics, func(t *testing.T) *providertest.Fake {
			return providertest.Google(t, "https://www.googleapis.com/auth/analytics.readonly")
		}, "", []string{"properties/1001", "properties/1002", "properties/2001"}, false, "token"},
		{provider.SearchConsole, func(t *testing.T) *providertest.Fake {
			return providertest.Google(t, "https://www.googleapis.com/auth/webmasters.readonly")
		}, "", []string{"https://www.example.com/", "sc-domain:example.com"}, false, "token"},
		{provider.GitHub, func(t *testing.T) *providertest.Fake { return providertest.GitHub(t) },
			"octocat", []string{"octocat/hello-world", "octocat/secret-sauce"}, true, "access_token"},
		{provider.Stripe, func(t *testing.T) *providertest.Fake { return providertest.Stripe(t) },
			providertest.StripeAccount + " (test mode)", nil, true, "stripe_user_id"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			f := tc.fake(t)
			p := registry(t, tc.id, f)
			ctx := context.Background()
			verifier := oauth2.GenerateVerifier()
			back := authorize(t, p.AuthCodeURL(f.RedirectURI, "st4te", verifier))
			if back.Get("state") != "st4te" || back.Get("code") == "" {
				t.Fatalf("callback query %v", back)
			}
			if p.PKCE {
				// A verifier that is not the one behind the challenge is refused.
				other := authorize(t, p.AuthCodeURL(f.RedirectURI, "s2", verifier))
				if _, err := p.Exchange(ctx, f.RedirectURI, other.Get("code"), oauth2.GenerateVerifier()); err == nil {
					t.Fatal("exchange with the wrong PKCE verifier succeeded")
				}
			}
			tok, err := p.Exchange(ctx, f.RedirectURI, back.Get("code"), verifier)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Exchange(ctx, f.RedirectURI, back.Get("code"), verifier); err == nil {
				t.Fatal("a code was accepted twice")
			}
			if _, missing := p.Granted(tok); len(missing) > 0 {
				t.Fatalf("missing scopes %v", missing)
			}
			hc := bearerClient(tok)
			acct, err := p.Account(ctx, hc, tok)
			if err != nil || acct.Label != tc.account {
				t.Fatalf("account %+v, %v; want %q", acct, err, tc.account)
			}
			choices, err := p.Choices(ctx, hc)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range choices {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tc.choices) {
				t.Fatalf("choices %v, want %v", ids, tc.choices)
			}

			next, err := p.Refresh(ctx, tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || (next.RefreshToken != tok.RefreshToken) != tc.rotates {
				t.Fatalf("refresh: %+v after %+v (rotates %v)", next, tok, tc.rotates)
			}
			if tc.rotates {
				if _, err := p.Refresh(ctx, tok.RefreshToken); err == nil {
					t.Fatal("a rotated refresh token still works")
				}
			}

			g := provider.Grant{AccessToken: next.AccessToken, RefreshToken: next.RefreshToken}
			g.AccountID, _ = next.Extra("stripe_user_id").(string)
			if err := p.Revoke(ctx, http.DefaultClient, g); err != nil {
				t.Fatal(err)
			}
			if f.Live() != 0 || len(f.Revocations()) != 1 || f.Revocations()[0].Get(tc.revokedWith) == "" {
				t.Fatalf("after revoke: %d live grants, revocations %v", f.Live(), f.Revocations())
			}
			// Stripe's invalid_client does not prove the access ended (a wrong key gets it
			// too), so it is retried, not taken for "already revoked".
			again := provider.ErrRejected
			if tc.id == provider.Stripe {
				again = provider.ErrUnconfirmed
			}
			if err := p.Revoke(ctx, http.DefaultClient, g); !errors.Is(err, again) || (again != provider.ErrRejected && errors.Is(err, provider.ErrRejected)) {
				t.Fatalf("revoking again: %v, want %v", err, again)
			}
			if _, err := p.Refresh(ctx, next.RefreshToken); err == nil {
				t.Fatal("refresh works after revocation")
			}
		})
	}
}

// TestFakesCheckClientAuthentication shows the fakes refuse the wrong client
// authentication style, so the flows above prove each provider's style is right.
func TestFakesCheckClientAuthentication(t *testing.T) {
	for _, tc := range []struct {
		id    string
		fake  *providertest.Fake
		wrong provider.ClientAuth
	}{
		{provider.GoogleAnalytics, providertest.Google(t, "https://www.googleapis.com/auth/analytics.readonly"), provider.SecretBasic},
		{provider.GitHub, providertest.GitHub(t), provider.SecretBasic},
		{provider.Stripe, providertest.Stripe(t), provider.SecretPost},
	} {
		p := registry(t, tc.id, tc.fake)
		p.Auth = tc.wrong
		verifier := oauth2.GenerateVerifier()
		back := authorize(t, p.AuthCodeURL(tc.fake.RedirectURI, "s", verifier))
		_, err := p.Exchange(context.Background(), tc.fake.RedirectURI, back.Get("code"), verifier)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("%s with the wrong client authentication: %v", tc.id, err)
		}
	}
}

func TestGrantedScopesAreChecked(t *testing.T) {
	f := providertest.Google(t, "https://www.googleapis.com/auth/analytics.readonly")
	f.GrantScopes = []string{"openid"} // the user unticked the box
	p := registry(t, provider.GoogleAnalytics, f)
	v := oauth2.GenerateVerifier()
	tok, err := p.Exchange(context.Background(), f.RedirectURI, authorize(t, p.AuthCodeURL(f.RedirectURI, "s", v)).Get("code"), v)
	if err != nil {
		t.Fatal(err)
	}
	if _, missing := p.Granted(tok); !slices.Equal(missing, []string{"https://www.googleapis.com/auth/analytics.readonly"}) {
		t.Fatalf("missing = %v", missing)
	}
}

func TestRevokeClassifiesFailures(t *testing.T) {
	f := providertest.Google(t, "https://www.googleapis.com/auth/analytics.readonly")
	p := registry(t, provider.GoogleAnalytics, f)
	f.RevokeStatus = http.StatusServiceUnavailable
	if err := p.Revoke(context.Background(), http.DefaultClient, provider.Grant{RefreshToken: "x"}); !errors.Is(err, provider.ErrTransient) {
		t.Fatalf("503: %v, want ErrTransient", err)
	}
	f.Close()
	if err := p.Revoke(context.Background(), http.DefaultClient, provider.Grant{RefreshToken: "x"}); !errors.Is(err, provider.ErrTransient) {
		t.Fatalf("no answer: %v, want ErrTransient", err)
	}
}

func TestRegistry(t *testing.T) {
	ring, err := config.ParseKeyRing("k1:" + strings.Repeat("A", 43))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{AppURL: "https://metriqs.example", TokenKeys: ring,
		Providers: map[string]config.Credentials{provider.GitHub: {ClientID: "Iv1", ClientSecret: "s"}}}
	r := provider.New(cfg)
	if _, err := r.Get("myspace"); !errors.Is(err, provider.ErrUnknown) {
		t.Errorf("unknown provider: %v", err)
	}
	if _, err := r.Get(provider.Stripe); !errors.Is(err, provider.ErrNotConfigured) {
		t.Errorf("stripe without a client id: %v", err)
	}
	if _, err := r.Get(provider.Demo); !errors.Is(err, provider.ErrUnknown) {
		t.Errorf("demo while the sandbox is off: %v", err)
	}
	gh, err := r.Get(provider.GitHub)
	if err != nil || gh.Endpoints.Token != "https://github.com/login/oauth/access_token" || !gh.AllowsHost("api.github.com") || gh.AllowsHost("evil.example") {
		t.Fatalf("github: %+v, %v", gh, err)
	}
	if got := len(r.Available()); got != 1 {
		t.Errorf("available = %d, want 1", got)
	}

	cfg.DemoProvider = true
	demo, err := provider.New(cfg).Get(provider.Demo)
	if err != nil || demo.Endpoints.Token != "https://metriqs.example/api/sandbox/token" || demo.Credentials.ClientSecret == "" {
		t.Fatalf("demo: %+v, %v", demo, err)
	}
	// The demo secret is derived from the key, not the key itself.
	if strings.Contains(demo.Credentials.ClientSecret, strings.Repeat("A", 20)) {
		t.Fatal("demo secret reveals the key")
	}
	// Google's two providers share one grant.
	if sib := r.Siblings(mustLookup(t, r, provider.GoogleAnalytics)); len(sib) != 1 || sib[0].ID != provider.SearchConsole {
		t.Fatalf("siblings = %v", sib)
	}
}

func mustLookup(t *testing.T, r *provider.Registry, id string) *provider.Provider {
	p, ok := r.Lookup(id)
	if !ok {
		t.Fatalf("no provider %s", id)
	}
	return p
}

// TestEnableWithOnlyInDevelopment: the local server names what would enable a real provider
// it lacks; a deployment never says what it is missing, and nothing is named for a provider
// that is configured or for the sandbox, which no variable enables.
func TestEnableWithOnlyInDevelopment(t *testing.T) {
	cfg := &config.Config{AppURL: "https://metriqs.example", DemoProvider: true,
		Providers: map[string]config.Credentials{provider.GitHub: {ClientID: "Iv1", ClientSecret: "s"}}}
	for _, id := range provider.IDs() {
		if got := provider.New(cfg).EnableWith(id); got != nil {
			t.Errorf("deployed: EnableWith(%s) = %v, want nil", id, got)
		}
	}
	cfg.Dev = true
	dev := provider.New(cfg)
	want := map[string][]string{
		provider.GoogleAnalytics: {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"},
		provider.SearchConsole:   {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"},
		provider.Stripe:          {"STRIPE_CLIENT_ID", "STRIPE_SECRET_KEY"},
		provider.GitHub:          nil, // configured
		provider.Demo:            nil, // the sandbox
	}
	for id, w := range want {
		if got := dev.EnableWith(id); !slices.Equal(got, w) {
			t.Errorf("development: EnableWith(%s) = %v, want %v", id, got, w)
		}
	}
}

// TestScopeTableMatchesDocs keeps docs/security.md's scope table and the code's in step,
// reasons included.
func TestScopeTableMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // "provider scope" → reason
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 {
			continue
		}
		id := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !slices.Contains(provider.IDs(), id) {
			continue
		}
		rows[id+" "+strings.Trim(strings.TrimSpace(cells[2]), "`")] = strings.TrimSpace(cells[3])
	}
	n := 0
	for id, scopes := range provider.ScopeTable {
		for _, s := range scopes {
			n++
			if reason, ok := rows[id+" "+s.Name]; !ok || reason != s.Reason {
				t.Errorf("docs/security.md: row for %s %s is %q, want reason %q", id, s.Name, reason, s.Reason)
			}
		}
	}
	if len(rows) != n {
		t.Errorf("docs/security.md lists %d scope rows, the code %d", len(rows), n)
	}
}
