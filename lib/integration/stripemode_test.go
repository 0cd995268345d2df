package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/web"
)

// withStripeKeys reconfigures Stripe with a live key the fake does not take and, as the test
// key, the one it does: the fake plays a test-mode install, whose code, refresh token and
// deauthorization Stripe accepts only with the app owner's test-mode key.
func withStripeKeys(t *testing.T, e *env, testKey bool) {
	t.Helper()
	f := e.fakes[provider.Stripe]
	c := config.Credentials{ClientID: f.ClientID, ClientSecret: "sk_live_NotTheInstallsMode"}
	if testKey {
		c.TestSecret = f.ClientSecret
	}
	e.reg = provider.New(&config.Config{AppURL: appURL, DemoProvider: true, TokenKeys: e.ring},
		append(e.opts, provider.WithCredentials(provider.Stripe, c))...)
	e.svc = e.service(t, e.ring)
}

func (e *env) connectMode(t *testing.T, mode string) string {
	t.Helper()
	res, err := e.svc.Connect(context.Background(), e.user, integration.ConnectInput{Provider: provider.Stripe, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	back := e.callback(t, e.approve(t, res.AuthorizeURL))
	return back.Get("connected") + back.Get("error")
}

// A test-mode install: the state carries the mode to the callback, whose exchange uses the
// test key; the record keeps the mode, so the refresh an hour later and the deauthorization
// on disconnect use it too. With the live key (no mode asked) the same install fails.
func TestStripeTestModeInstall(t *testing.T) {
	e := setup(t)
	withStripeKeys(t, e, true)
	f := e.fakes[provider.Stripe]
	ctx := context.Background()

	if got := e.connectMode(t, ""); got != integration.CallbackExchangeFailed {
		t.Fatalf("a test-mode code exchanged with the live key: %q", got)
	}
	if got := e.connectMode(t, provider.ModeTest); got != provider.Stripe {
		t.Fatalf("test-mode connect: %q", got)
	}
	if m := e.record(t, provider.Stripe)["mode"]; m != provider.ModeTest {
		t.Fatalf("record mode %q", m)
	}
	rows, err := e.svc.List(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Provider == provider.Stripe && (!r.TestMode || r.Mode != provider.ModeTest) {
			t.Errorf("the integrations row %+v", r)
		}
		if r.Provider == provider.GitHub && r.TestMode {
			t.Errorf("GitHub offers test mode: %+v", r)
		}
	}
	e.clock.Add(2 * time.Hour) // past the hour an access token lives
	if err := e.probe(t, provider.Stripe); err != nil {
		t.Fatalf("after the refresh: %v", err)
	}
	if uses := f.RefreshUses(); len(uses) == 0 {
		t.Fatal("no refresh happened")
	}
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.Stripe}, web.Client{}); err != nil {
		t.Fatal(err)
	}
	if len(f.Revocations()) != 1 || f.Live() != 0 {
		t.Fatalf("deauthorized %d times, %d grants live", len(f.Revocations()), f.Live())
	}
}

// Test mode is refused, storing nothing, where it cannot work: no test key configured, a
// provider without modes, a mode Stripe does not have.
func TestConnectModeRefusals(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, in := range []integration.ConnectInput{
		{Provider: provider.Stripe, Mode: provider.ModeTest}, // no STRIPE_TEST_SECRET_KEY
		{Provider: provider.GitHub, Mode: provider.ModeTest},
		{Provider: provider.Stripe, Mode: "sandbox"},
	} {
		before := e.snapshot(t)
		if _, err := e.svc.Connect(ctx, e.user, in); problemCode(err) != "invalid_mode" {
			t.Errorf("%+v: %v", in, err)
		}
		if !equalMaps(before, e.snapshot(t)) {
			t.Errorf("%+v changed stored data", in)
		}
	}
	withStripeKeys(t, e, true)
	if _, err := e.svc.Connect(ctx, e.user, integration.ConnectInput{Provider: provider.Stripe, Mode: "live"}); err != nil {
		t.Errorf("live mode by name: %v", err)
	}
}
