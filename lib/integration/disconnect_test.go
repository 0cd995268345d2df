package integration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

// TestDisconnectWhileProviderIsDown: the local data goes at once; the revocation is queued,
// sealed, and the job finishes it when the provider is back.
func TestDisconnectWhileProviderIsDown(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	tokens := e.plaintext(t, e.user, provider.GitHub)
	f := e.fakes[provider.GitHub]
	f.RevokeStatus = http.StatusServiceUnavailable

	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.GitHub}, browser); err != nil {
		t.Fatal(err)
	}
	if len(e.record(t, provider.GitHub)) != 0 {
		t.Fatal("integration kept while revocation is pending")
	}
	msgs := e.pub.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	for _, tok := range tokens {
		if strings.Contains(string(msgs[0]), tok) {
			t.Fatal("the queued message holds a token in plaintext")
		}
	}
	if ev := e.events(t); !slices.Contains(ev, audit.IntegrationDisconnect) || !slices.Contains(ev, audit.IntegrationRevokeFailed) {
		t.Fatalf("security log %v", ev)
	}

	// Still down: the job fails and QStash will retry.
	if err := e.svc.RevokeJob(ctx, msgs[0]); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("job while the provider is down: %v", err)
	}
	// Back up, and the access token has expired meanwhile: the job renews it to revoke.
	f.RevokeStatus = 0
	e.clock.Add(9 * time.Hour)
	if err := e.svc.RevokeJob(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	if f.Live() != 0 || len(f.Revocations()) != 1 {
		t.Fatalf("not revoked: %d live", f.Live())
	}
	if ev := e.events(t); ev[0] != audit.IntegrationRevoked {
		t.Fatalf("security log %v", ev)
	}
	// A redelivery after success finds the token already invalid: done, not an error.
	if err := e.svc.RevokeJob(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
}

func TestRevokeJobRefusesWhatCannotSucceed(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Demo)
	for name, body := range map[string]string{
		"not json":     `{`,
		"no grant":     `{"user_id":"u","provider":"demo"}`,
		"unknown":      `{"user_id":"u","provider":"myspace","grant":"v1.k1.x"}`,
		"forged grant": `{"user_id":"u","provider":"demo","grant":"v1.k1.AAAA"}`,
	} {
		if err := e.svc.RevokeJob(ctx, []byte(body)); !jobs.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent failure", name, err)
		}
	}
	// A message whose grant was sealed for another user does not open.
	e.fakes[provider.GitHub].RevokeStatus = http.StatusBadGateway
	e.connect(t, provider.GitHub)
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.GitHub}, browser); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(e.pub.messages()[0], &m)
	m["user_id"] = "mallorybbbbbbbbbbbbbbbbbbb"
	b, _ := json.Marshal(m)
	if err := e.svc.RevokeJob(ctx, b); !jobs.IsPermanent(err) {
		t.Errorf("grant moved to another user: %v", err)
	}
}

func TestDisconnectWhenQueueIsDownStillDeletes(t *testing.T) {
	e := setup(t)
	e.connect(t, provider.Stripe)
	e.fakes[provider.Stripe].RevokeStatus = http.StatusServiceUnavailable
	e.pub.fail = true
	if err := e.svc.Disconnect(context.Background(), e.user, integration.DisconnectInput{Provider: provider.Stripe}, browser); err != nil {
		t.Fatal(err)
	}
	if len(e.record(t, provider.Stripe)) != 0 {
		t.Fatal("integration kept")
	}
	if ev := e.events(t); !slices.Contains(ev, audit.IntegrationRevokeFailed) {
		t.Fatalf("security log %v", ev)
	}
}

// TestGoogleGrantIsShared: disconnecting one Google provider revokes the one grant both
// share, so the other is marked needs_reauth at once instead of failing at the next report.
func TestGoogleGrantIsShared(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GoogleAnalytics)
	e.connect(t, provider.SearchConsole)
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.GoogleAnalytics}, browser); err != nil {
		t.Fatal(err)
	}
	rec := e.record(t, provider.SearchConsole)
	if rec["status"] != integration.StatusNeedsReauth || rec["refresh_token"] != "" {
		t.Fatalf("search console after analytics was disconnected: %v", rec)
	}
}

func TestConnectedAndDisconnectAll(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if ids, err := e.svc.Connected(ctx, e.user); err != nil || len(ids) != 0 {
		t.Fatalf("%v, %v", ids, err)
	}
	for _, id := range []string{provider.GitHub, provider.Stripe, provider.Demo} {
		e.connect(t, id)
	}
	ids, err := e.svc.Connected(ctx, e.user)
	if err != nil || !slices.Equal(ids, []string{provider.Stripe, provider.GitHub, provider.Demo}) {
		t.Fatalf("connected %v, %v", ids, err)
	}
	e.fakes[provider.Stripe].RevokeStatus = http.StatusServiceUnavailable
	if err := e.svc.DisconnectAll(ctx, e.user, browser); err != nil {
		t.Fatal(err)
	}
	if ids, _ := e.svc.Connected(ctx, e.user); len(ids) != 0 {
		t.Fatalf("still connected: %v", ids)
	}
	if len(e.pub.messages()) != 1 || e.fakes[provider.GitHub].Live() != 0 {
		t.Fatalf("queued %d, github live %d", len(e.pub.messages()), e.fakes[provider.GitHub].Live())
	}
	// Nothing of the integrations is left but the security log.
	for k := range storetest.Values(t, e.st) {
		if strings.Contains(k, ":integ:") {
			t.Errorf("left behind: %s", k)
		}
	}
	// Disconnecting again is a no-op.
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.GitHub}, browser); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: "myspace"}, browser); problemCode(err) != "unknown_provider" {
		t.Fatalf("unknown provider: %v", err)
	}
}

// TestEveryKeyIsOwned: every key an integration writes is in the user's index, so account
// deletion finds it without a scan, or expires within 30 days on its own (the OAuth state; the
// invariant of lib/store index.go).
func TestEveryKeyIsOwned(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, id := range []string{provider.GitHub, provider.Demo} {
		e.connect(t, id)
		e.clock.Add(8 * time.Hour)
		if err := e.probe(t, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Connect(ctx, e.user, integration.ConnectInput{Provider: provider.Stripe}); err != nil {
		t.Fatal(err)
	}
	owned := e.st.R.SMembers(ctx, e.st.IndexKey(e.user)).Val()
	for _, k := range e.st.R.Keys(ctx, e.st.Prefix()+"*").Val() {
		if strings.Contains(k, ":rl:") || k == e.st.IndexKey(e.user) || k == e.st.Key("index", "integrations") {
			continue // rate limits are per hashed subject; the indexes themselves
		}
		if ttl := e.st.R.TTL(ctx, k).Val(); !slices.Contains(owned, k) && (ttl <= 0 || ttl > store.MaxUnindexedTTL) {
			t.Errorf("%s is not in the user's index and has no expiry within 30 days", k)
		}
	}
}

// A refresh in flight when the user disconnects, with the provider's revocation endpoint
// down throughout: the tokens the refresh brings back are never stored, and they are queued
// for revocation like the ones the disconnect could not revoke. At GitHub, where refresh
// tokens rotate, the disconnect's queued grant is spent by then; without the second
// message the new grant would stay live.
func TestDisconnectDuringRefreshRevokesTheNewTokens(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	f := e.fakes[provider.GitHub]
	// Inside the refresh margin, but not so close to expiry that the disconnect renews the
	// token itself before revoking.
	e.clock.Add(8*time.Hour - 3*time.Minute)
	f.RevokeStatus = http.StatusServiceUnavailable
	f.BeforeToken = func() {
		if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.GitHub}, browser); err != nil {
			t.Errorf("disconnect: %v", err)
		}
	}
	if err := e.probe(t, provider.GitHub); err == nil {
		t.Fatal("a refresh of a disconnected integration succeeded")
	}
	if rec := e.record(t, provider.GitHub); len(rec) != 0 {
		t.Fatalf("the refresh wrote into a disconnected integration: %v", rec)
	}
	msgs := e.pub.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d revocations queued, want the disconnect's and the refresh's", len(msgs))
	}
	f.RevokeStatus = 0
	for _, m := range msgs {
		if err := e.svc.RevokeJob(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Live(); n != 0 {
		t.Fatalf("%d grants still live after the queued revocations ran", n)
	}
	// One disconnect, one "revoked" in the security log: the orphaned tokens are housekeeping.
	if ev := e.events(t); ev[0] != audit.IntegrationRevoked || slices.Index(ev[1:], audit.IntegrationRevoked) >= 0 {
		t.Fatalf("security log %v", ev)
	}
}

// Account deletion's DisconnectAll never drops tokens it could neither revoke nor queue for
// revocation: it keeps the integration and fails, so the purge tries again; a plain
// Disconnect deletes at once and says so in the security log
// (TestDisconnectWhenQueueIsDownStillDeletes).
func TestDisconnectAllKeepsWhatItCouldNotRevoke(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Stripe)
	e.connect(t, provider.Demo)
	f := e.fakes[provider.Stripe]
	f.RevokeStatus = http.StatusServiceUnavailable
	e.pub.fail = true
	if err := e.svc.DisconnectAll(ctx, e.user, web.System); err == nil {
		t.Fatal("DisconnectAll succeeded with the provider and the queue both down")
	}
	if len(e.record(t, provider.Stripe)) == 0 {
		t.Fatal("the unrevoked integration was deleted")
	}
	if len(e.record(t, provider.Demo)) != 0 {
		t.Fatal("the revoked integration was kept")
	}
	f.RevokeStatus = 0
	if err := e.svc.DisconnectAll(ctx, e.user, web.System); err != nil {
		t.Fatal(err)
	}
	if len(e.record(t, provider.Stripe)) != 0 || f.Live() != 0 {
		t.Fatalf("after the retry: record %v, %d live grants", e.record(t, provider.Stripe), f.Live())
	}
}

// TestStripeRefusedDeauthorizeIsRetried: Stripe refusing the deauthorization with our key
// (401 "Invalid API Key provided", as a key of the wrong mode gets; 400 invalid_client alike)
// says nothing about the install, which is still live: the revocation is queued and logged
// pending, never "already revoked", and the job keeps failing until the key works.
func TestStripeRefusedDeauthorizeIsRetried(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Stripe)
	f := e.fakes[provider.Stripe]
	key := f.ClientSecret
	f.ClientSecret = "sk_live_AnotherKey" // the fake now refuses the key we hold

	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.Stripe}, browser); err != nil {
		t.Fatal(err)
	}
	if ev := e.events(t); !slices.Contains(ev, audit.IntegrationRevokeFailed) {
		t.Fatalf("security log %v: the refused deauthorization is not shown pending", ev)
	}
	msgs := e.pub.messages()
	if len(msgs) != 1 || f.Live() == 0 {
		t.Fatalf("%d messages queued, %d live grants", len(msgs), f.Live())
	}
	if err := e.svc.RevokeJob(ctx, msgs[0]); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("job while Stripe refuses the key: %v, want a retryable error", err)
	}
	f.ClientSecret = key
	if err := e.svc.RevokeJob(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	if ev := e.events(t); f.Live() != 0 || ev[0] != audit.IntegrationRevoked {
		t.Fatalf("after the retry: %d live grants, security log %v", f.Live(), ev)
	}
}
