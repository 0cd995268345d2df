package integration_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// plaintext opens the stored tokens of an integration, as only a test may.
func (e *env) plaintext(t *testing.T, userID, providerID string) []string {
	t.Helper()
	sealer, _ := seal.New(e.ring)
	rec := e.st.R.HGetAll(context.Background(), e.st.Key("integ", userID, providerID)).Val()
	var out []string
	for _, f := range []string{"access_token", "refresh_token"} {
		pt, err := sealer.Open(rec[f], seal.AAD(userID, providerID, f))
		if err != nil {
			t.Fatalf("open %s: %v", f, err)
		}
		out = append(out, string(pt))
	}
	return out
}

// TestNoPlaintextTokenInRedis: after connecting and refreshing every provider, no value in
// Redis holds any token that was ever issued.
func TestNoPlaintextTokenInRedis(t *testing.T) {
	e := setup(t)
	var tokens []string
	for _, id := range []string{provider.GoogleAnalytics, provider.SearchConsole, provider.GitHub, provider.Stripe, provider.Demo} {
		e.connect(t, id)
		tokens = append(tokens, e.plaintext(t, e.user, id)...)
	}
	e.clock.Add(8 * time.Hour)
	for _, id := range []string{provider.GoogleAnalytics, provider.SearchConsole, provider.GitHub, provider.Stripe, provider.Demo} {
		if err := e.probe(t, id); err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, e.plaintext(t, e.user, id)...)
	}
	for k, v := range storetest.Values(t, e.st) {
		for _, tok := range tokens {
			if strings.Contains(v, tok) || strings.Contains(k, tok) {
				t.Fatalf("%s holds a token in plaintext", k)
			}
		}
	}
}

func TestCiphertextOfAnotherUserDoesNotOpen(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice, bob := "aliceaaaaaaaaaaaaaaaaaaaaa", "bobbbbbbbbbbbbbbbbbbbbbbbb"
	for _, u := range []string{alice, bob} {
		e.user = u
		e.connect(t, provider.Demo)
	}
	ak, bk := e.st.Key("integ", alice, provider.Demo), e.st.Key("integ", bob, provider.Demo)
	stolen := e.st.R.HMGet(ctx, ak, "access_token", "refresh_token").Val()
	e.st.R.HSet(ctx, bk, "access_token", stolen[0], "refresh_token", stolen[1])

	_, _, err := e.svc.Client(ctx, bob, provider.Demo)
	if !errors.Is(err, metrics.ErrReauth) || !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("bob with alice's ciphertext: %v", err)
	}
	if rec := e.st.R.HGetAll(ctx, bk).Val(); rec["status"] != integration.StatusNeedsReauth || rec["access_token"] != "" {
		t.Fatalf("bob's record %v", rec)
	}
	e.user = bob
	if ev := e.events(t); ev[0] != audit.IntegrationNeedsReauth {
		t.Fatalf("security log %v", ev)
	}
	e.user = alice
	if err := e.probe(t, provider.Demo); err != nil {
		t.Fatalf("alice's own integration broke: %v", err)
	}
}

func TestTruncatedCiphertext(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	k := e.st.Key("integ", e.user, provider.GitHub)
	v := e.st.R.HGet(ctx, k, "access_token").Val()
	e.st.R.HSet(ctx, k, "access_token", v[:len(v)-6])
	if _, _, err := e.svc.Client(ctx, e.user, provider.GitHub); !errors.Is(err, metrics.ErrReauth) {
		t.Fatalf("truncated ciphertext: %v", err)
	}
	if e.record(t, provider.GitHub)["status"] != integration.StatusNeedsReauth {
		t.Fatal("not marked needs_reauth")
	}
}

func TestSealedWithRemovedKey(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Stripe)
	rotated := e.service(t, config.KeyRing{key("k2", 2)}) // k1 removed from the ring
	_, _, err := rotated.Client(ctx, e.user, provider.Stripe)
	if !errors.Is(err, metrics.ErrReauth) || !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("removed key: %v", err)
	}
	var me *metrics.Error
	if !errors.As(err, &me) || !strings.Contains(me.Message, "Reconnect Stripe") {
		t.Fatalf("message %v", err)
	}
	rows, _ := rotated.List(ctx, e.user)
	if i := slices.IndexFunc(rows, func(r integration.Row) bool { return r.Provider == provider.Stripe }); rows[i].Status != integration.StatusNeedsReauth {
		t.Fatalf("row %+v", rows[i])
	}
}

func TestRevokedAtProviderMarksNeedsReauth(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	// The user removes Metriqs in GitHub's settings.
	tok := e.plaintext(t, e.user, provider.GitHub)
	p, _ := e.reg.Get(provider.GitHub)
	if err := p.Revoke(ctx, http.DefaultClient, provider.Grant{AccessToken: tok[0]}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(8 * time.Hour)
	for range 2 {
		if err := e.probe(t, provider.GitHub); !errors.Is(err, metrics.ErrReauth) {
			t.Fatalf("after revocation: %v", err)
		}
	}
	if rec := e.record(t, provider.GitHub); rec["status"] != integration.StatusNeedsReauth || rec["refresh_token"] != "" {
		t.Fatalf("record %v", rec)
	}
	if n := countOf(e.events(t), audit.IntegrationNeedsReauth); n != 1 {
		t.Fatalf("%d needs_reauth events, want 1", n)
	}
	// Reconnecting mends it.
	e.connect(t, provider.GitHub)
	if err := e.probe(t, provider.GitHub); err != nil {
		t.Fatal(err)
	}
}

func TestTransientRefreshFailuresAreRetried(t *testing.T) {
	e := setup(t)
	e.connect(t, provider.Stripe)
	f := e.fakes[provider.Stripe]
	e.clock.Add(time.Hour)
	f.TokenFailures = 2
	if err := e.probe(t, provider.Stripe); err != nil {
		t.Fatalf("two 503s then success: %v", err)
	}
	e.clock.Add(time.Hour)
	f.TokenFailures = 3
	if err := e.probe(t, provider.Stripe); !errors.Is(err, metrics.ErrTransient) {
		t.Fatalf("three 503s: %v", err)
	}
	if e.record(t, provider.Stripe)["status"] != integration.StatusConnected {
		t.Fatal("an unavailable provider made the integration need reauth")
	}
	if err := e.probe(t, provider.Stripe); err != nil {
		t.Fatalf("once the provider is back: %v", err)
	}
}

// TestTokenOnlyGoesToTheProvider: the client refuses to carry the token to another host.
func TestTokenOnlyGoesToTheProvider(t *testing.T) {
	e := setup(t)
	e.connect(t, provider.GitHub)
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer elsewhere.Close()
	hc, _, err := e.svc.Client(context.Background(), e.user, provider.GitHub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Get(elsewhere.URL + "/steal"); err == nil || hits.Load() != 0 {
		t.Fatalf("request to another host: %v, %d hits", err, hits.Load())
	}
}

func TestReseal(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Demo)
	e.connect(t, provider.GitHub)
	tokens := append(e.plaintext(t, e.user, provider.Demo), e.plaintext(t, e.user, provider.GitHub)...)
	e.st.R.SAdd(ctx, e.st.Key("index", "integrations"), "goneaaaaaaaaaaaaaaaaaaaaaa:github")

	e.ring = config.KeyRing{key("k2", 2), key("k1", 1)}
	st, err := e.service(t, e.ring).Reseal(ctx)
	if err != nil || st.Checked != 3 || st.Resealed != 2 || st.Gone != 1 || st.Unreadable != 0 {
		t.Fatalf("reseal: %+v, %v", st, err)
	}
	for _, id := range []string{provider.Demo, provider.GitHub} {
		if rec := e.record(t, id); !strings.HasPrefix(rec["access_token"], "v1.k2.") || !strings.HasPrefix(rec["refresh_token"], "v1.k2.") {
			t.Fatalf("%s not re-sealed: %v", id, rec)
		}
	}
	// Re-sealing decrypts every token: none may be left behind in plaintext.
	for k, v := range storetest.Values(t, e.st) {
		for _, tok := range tokens {
			if strings.Contains(k+v, tok) {
				t.Fatalf("%s holds a token in plaintext after the re-seal", k)
			}
		}
	}
	// With k1 gone, everything still opens.
	e.ring = config.KeyRing{key("k2", 2)}
	e.svc = e.service(t, e.ring)
	for _, id := range []string{provider.Demo, provider.GitHub} {
		if err := e.probe(t, id); err != nil {
			t.Fatalf("%s after removing the old key: %v", id, err)
		}
	}
	if st, _ := e.svc.Reseal(ctx); st.Resealed != 0 || st.Checked != 2 {
		t.Fatalf("second run: %+v", st)
	}
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
