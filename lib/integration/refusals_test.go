package integration_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestConnectRefusals(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		provider, code string
	}{
		"unknown":        {"myspace", "unknown_provider"},
		"empty":          {"", "unknown_provider"},
		"not configured": {provider.Stripe, "provider_not_configured"},
	} {
		svc := e.svc
		if name == "not configured" {
			svc = e.withoutStripe(t)
		}
		before := storetest.Values(t, e.st)
		_, err := svc.Connect(ctx, e.user, integration.ConnectInput{Provider: tc.provider})
		if problemCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
		if !equalMaps(before, storetest.Values(t, e.st)) {
			t.Errorf("%s: stored data changed", name)
		}
	}
}

// withoutStripe is the service of a deployment with no Stripe client configured.
func (e *env) withoutStripe(t *testing.T) *integration.Service {
	t.Helper()
	saved := e.reg
	e.reg = provider.New(&config.Config{AppURL: appURL}, append(e.opts, provider.WithCredentials(provider.Stripe, config.Credentials{}))...)
	defer func() { e.reg = saved }()
	return e.service(t, e.ring)
}

// TestCallbackRefusals: every way a callback can be wrong ends on /app/integrations with an
// error code, and stores nothing.
func TestCallbackRefusals(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	start := func(id string) url.Values {
		res, err := e.svc.Connect(ctx, e.user, integration.ConnectInput{Provider: id})
		if err != nil {
			t.Fatal(err)
		}
		return e.approve(t, res.AuthorizeURL)
	}
	refuse := func(name string, q url.Values, want string) {
		t.Helper()
		before := e.snapshot(t)
		if got := e.callback(t, q).Get("error"); got != want {
			t.Errorf("%s: error=%q, want %q", name, got, want)
		}
		if !equalMaps(before, e.snapshot(t)) {
			t.Errorf("%s: stored data changed", name)
		}
	}

	q := start(provider.GitHub)
	e.user = ""
	refuse("no session", q, integration.CallbackSessionRequired)
	e.user = "useraaaaaaaaaaaaaaaaaaaaaa"

	missing := url.Values{"code": q["code"]}
	refuse("missing state", missing, integration.CallbackInvalidState)
	tampered := url.Values{"code": q["code"], "state": {flip(q.Get("state"))}}
	refuse("tampered state", tampered, integration.CallbackInvalidState)

	// Another user's state: consumed, and refused.
	q = start(provider.GitHub)
	e.user = "userbbbbbbbbbbbbbbbbbbbbbb"
	refuse("other user's state", q, integration.CallbackInvalidState)
	e.user = "useraaaaaaaaaaaaaaaaaaaaaa"
	refuse("other user's state, then its owner", q, integration.CallbackInvalidState)

	q = start(provider.GitHub)
	e.clock.Add(11 * time.Minute)
	refuse("expired state", q, integration.CallbackInvalidState)

	q = start(provider.GitHub)
	if e.callback(t, q).Get("connected") != provider.GitHub {
		t.Fatal("a good callback failed")
	}
	refuse("replayed state", q, integration.CallbackInvalidState)

	e.fakes[provider.GoogleAnalytics].Deny = true
	refuse("user denied", start(provider.GoogleAnalytics), integration.CallbackAccessDenied)
	e.fakes[provider.GoogleAnalytics].Deny = false

	q = start(provider.GoogleAnalytics)
	q.Set("code", "not-a-code")
	refuse("bad code", q, integration.CallbackExchangeFailed)

	q = start(provider.GoogleAnalytics)
	q.Del("code")
	refuse("no code", q, integration.CallbackInvalidRequest)

	// The user unticked the scope at Google: refused, and the unused grant revoked.
	f := e.fakes[provider.GoogleAnalytics]
	f.GrantScopes = []string{}
	refuse("scope not granted", start(provider.GoogleAnalytics), integration.CallbackMissingScope)
	if f.Live() != 0 {
		t.Error("the unused grant was not revoked")
	}
}

// flip changes one character of s.
func flip(s string) string {
	if strings.HasPrefix(s, "A") {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
