package sandbox_test

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestAuthorizeRefusals(t *testing.T) {
	e := setup(t)
	v := oauth2.GenerateVerifier()
	good, _ := url.Parse(e.p.AuthCodeURL(redirectURI, "s", v))
	with := func(k, val string) string {
		q := good.Query()
		if val == "" {
			q.Del(k)
		} else {
			q.Set(k, val)
		}
		u := *good
		u.RawQuery = q.Encode()
		return u.String()
	}
	// Unknown client or redirect URI: shown, never redirected (RFC 6749 §4.1.2.1).
	for _, u := range []string{with("client_id", "someone-else"), with("redirect_uri", "https://evil.example/cb")} {
		res, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 || res.Header.Get("Location") != "" {
			t.Errorf("%s: %d %s", u, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// Anything else is sent back with an error.
	for u, code := range map[string]string{
		with("code_challenge", ""):        "invalid_request",
		with("code_challenge_method", ""): "invalid_request",
		with("response_type", "token"):    "unsupported_response_type",
		with("scope", "admin"):            "invalid_scope",
	} {
		res, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || loc.Query().Get("error") != code || loc.Query().Get("state") != "s" {
			t.Errorf("%s: %d %s, want error=%s", u, res.StatusCode, res.Header.Get("Location"), code)
		}
	}
	// Deny, or every box unticked: access_denied.
	if back := e.consent(t, good.String(), "deny", "sites.read"); back.Get("error") != "access_denied" || back.Get("code") != "" {
		t.Errorf("deny: %v", back)
	}
	if back := e.consent(t, good.String(), "allow"); back.Get("error") != "access_denied" {
		t.Errorf("nothing ticked: %v", back)
	}
	// Unticking a scope narrows the grant.
	back := e.consent(t, good.String(), "allow", "metrics.read")
	tok, err := e.p.Exchange(context.Background(), redirectURI, back.Get("code"), v)
	if err != nil {
		t.Fatal(err)
	}
	if _, missing := e.p.Granted(tok); len(missing) != 1 || missing[0] != "sites.read" {
		t.Errorf("missing = %v", missing)
	}
	if status, _ := e.get(t, "/api/sandbox/sites", tok.AccessToken); status != 403 {
		t.Errorf("sites without sites.read: %d", status)
	}
	// Signed out: a page that says so.
	e.user = ""
	res, err := noRedirect.Get(good.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("signed out: %d", res.StatusCode)
	}
}

// TestConsentPageNeedsNoInlineCode: the site's CSP (default-src 'self') would block inline
// scripts and styles, so the page must not rely on any.
func TestConsentPageNeedsNoInlineCode(t *testing.T) {
	e := setup(t)
	res, err := noRedirect.Get(e.p.AuthCodeURL(redirectURI, "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, bad := range []string{"<script", "<style", "style=", "onclick", "javascript:"} {
		if strings.Contains(strings.ToLower(string(page)), bad) {
			t.Errorf("consent page contains %q", bad)
		}
	}
	if !strings.Contains(string(page), `method="post"`) || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page %s, headers %v", page, res.Header)
	}
}
