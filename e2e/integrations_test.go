package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/seal"
)

var consentRequest = regexp.MustCompile(`name="request" value="([a-z2-7]{26})"`)

// startConnect asks Metriqs to connect the sandbox and opens the consent page; it returns
// the authorization URL and the pending consent request's id.
func startConnect(t *testing.T, c *devtest.Client) (string, string) {
	t.Helper()
	r := c.Do("POST", "/api/integrations/connect", map[string]string{"provider": "demo"})
	devtest.Want(t, r, 200, "")
	authURL := r.Map()["authorize_url"].(string)
	if !strings.HasPrefix(authURL, c.Base+"/api/sandbox/authorize?") {
		t.Fatalf("authorize_url %s", authURL)
	}
	page := c.Do("GET", authURL, nil)
	devtest.Want(t, page, 200, "")
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("consent page served as %s", ct)
	}
	m := consentRequest.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no consent form in %s", page.Body)
	}
	return authURL, string(m[1])
}

// decide answers the consent page the way its form does and returns where the sandbox
// sends the browser (Metriqs' callback).
func decide(t *testing.T, c *devtest.Client, request, decision string, scopes ...string) string {
	t.Helper()
	form := url.Values{"request": {request}, "decision": {decision}, "scope": scopes}
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	defer c.Header.Del("Content-Type")
	r := c.Do("POST", "/api/sandbox/authorize", form.Encode())
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), c.Base+"/api/integrations/callback?") {
		t.Fatalf("consent: %d %s %s", r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	return r.Header.Get("Location")
}

// finish follows the callback and returns the query of the page it leads to.
func finish(t *testing.T, c *devtest.Client, callback string) url.Values {
	t.Helper()
	r := c.Do("GET", callback, nil)
	loc, err := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusFound || err != nil || loc.Path != "/app/integrations" {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	return loc.Query()
}

func demoRow(t *testing.T, c *devtest.Client) map[string]any {
	t.Helper()
	r := c.Do("GET", "/api/integrations", nil)
	devtest.Want(t, r, 200, "")
	var body struct {
		Integrations []map[string]any `json:"integrations"`
	}
	r.JSON(&body)
	for _, row := range body.Integrations {
		if row["provider"] == "demo" {
			return row
		}
	}
	t.Fatalf("no demo row in %s", r.Body)
	return nil
}

// storedTokens opens the user's sealed demo tokens, as only a test may (it shares the
// server's configuration).
func storedTokens(t *testing.T, userID string) (access, refresh string) {
	t.Helper()
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New(cfg.TokenKeys)
	rec := devtest.Store.R.HGetAll(context.Background(), devtest.Store.Key("integ", userID, "demo")).Val()
	a, err1 := sealer.Open(rec["access_token"], seal.AAD(userID, "demo", "access_token"))
	b, err2 := sealer.Open(rec["refresh_token"], seal.AAD(userID, "demo", "refresh_token"))
	if err1 != nil || err2 != nil {
		t.Fatalf("open stored tokens: %v %v", err1, err2)
	}
	return string(a), string(b)
}

// sandboxStatus calls the sandbox's metrics API with a bearer token.
func sandboxStatus(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", devtest.Server.URL+"/api/sandbox/metrics?start=2026-11-01&end=2026-11-02", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func assertNoPlaintext(t *testing.T, tokens ...string) {
	t.Helper()
	for k, v := range devtest.Values(t) {
		for _, tok := range tokens {
			if strings.Contains(v, tok) || strings.Contains(k, tok) {
				t.Fatalf("%s holds an OAuth token in plaintext", k)
			}
		}
	}
}

// TestDemoIntegrationEndToEnd drives the sandbox through the whole life of an integration
// over HTTP: connect, consent, callback, choose, use for a report, refresh after expiry,
// disconnect with revocation at the sandbox.
func TestDemoIntegrationEndToEnd(t *testing.T) {
	c, u := signUp(t)
	userID := u["id"].(string)
	ctx := context.Background()

	row := demoRow(t, c)
	if row["status"] != "disconnected" || row["connected_at"] != nil || len(row["scopes"].([]any)) != 2 {
		t.Fatalf("before connecting: %v", row)
	}

	_, request := startConnect(t, c)
	if q := finish(t, c, decide(t, c, request, "allow", "sites.read", "metrics.read")); q.Get("connected") != "demo" {
		t.Fatalf("callback went to %v", q)
	}
	row = demoRow(t, c)
	if row["status"] != "connected" || row["account"] != "Demo Shop" || row["connected_at"] == nil || row["chooses"] != "demo_site" {
		t.Fatalf("after connecting: %v", row)
	}

	r := c.Do("GET", "/api/integrations/choices?provider=demo", nil)
	devtest.Want(t, r, 200, "")
	var ch integration.Choices
	r.JSON(&ch)
	if len(ch.Choices) != 3 || len(ch.Selected) != 1 || ch.Selected[0].ID != ch.Choices[0].ID {
		t.Fatalf("choices %s", r.Body)
	}
	r = c.Do("PUT", "/api/integrations/choices", map[string]any{"provider": "demo", "selected": []string{"site_blog"}})
	devtest.Want(t, r, 200, "")
	devtest.Want(t, c.Do("PUT", "/api/integrations/choices", map[string]any{"provider": "demo", "selected": []string{"site_nope"}}), 422, "invalid_selection")
	if sel := demoRow(t, c)["selected"].([]any); len(sel) != 1 || sel[0].(map[string]any)["id"] != "site_blog" {
		t.Fatalf("selected %v", sel)
	}

	// Report generation's path: an authorized client, and the sandbox's data through
	// metrics.Demo, the fetcher reports use.
	svc, err := integration.Default()
	if err != nil {
		t.Fatal(err)
	}
	hc, sel, err := svc.Client(ctx, userID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	p, err := period.Resolve(period.Spec{Preset: period.Last7Days}, time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	section, err := metrics.Demo{BaseURL: devtest.Server.URL}.Fetch(ctx, hc, sel, p)
	if err != nil || section.Status != metrics.StatusOK || len(section.Series) == 0 || section.Metrics[0].Value <= 0 {
		t.Fatalf("demo section %+v, %v", section, err)
	}

	oldAccess, oldRefresh := storedTokens(t, userID)
	assertNoPlaintext(t, oldAccess, oldRefresh)

	// Time passes: the access token expires, here and at the sandbox.
	rk := devtest.Store.Key("integ", userID, "demo")
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	devtest.Store.R.HSet(ctx, rk, "expiry", past)
	grantID := strings.Split(oldAccess, ".")[1]
	devtest.Store.R.HSet(ctx, devtest.Store.Key("sandbox", "grant", grantID), "at_exp", "0")
	if sandboxStatus(t, oldAccess) != 401 {
		t.Fatal("the expired access token still works")
	}

	// The next use refreshes, rotates and stores the new tokens.
	devtest.Want(t, c.Do("GET", "/api/integrations/choices?provider=demo", nil), 200, "")
	newAccess, newRefresh := storedTokens(t, userID)
	if newAccess == oldAccess || newRefresh == oldRefresh {
		t.Fatal("tokens were not refreshed")
	}
	if sandboxStatus(t, newAccess) != 200 {
		t.Fatal("the refreshed access token does not work")
	}
	if demoRow(t, c)["status"] != "connected" {
		t.Fatal("refresh broke the integration")
	}
	assertNoPlaintext(t, oldAccess, oldRefresh, newAccess, newRefresh)

	devtest.Want(t, c.Do("POST", "/api/integrations/disconnect", map[string]string{"provider": "demo"}), 204, "")
	if row := demoRow(t, c); row["status"] != "disconnected" || row["account"] != "" {
		t.Fatalf("after disconnect: %v", row)
	}
	if sandboxStatus(t, newAccess) != 401 {
		t.Fatal("the sandbox still honours the token after disconnect")
	}
	if n := len(devtest.Snapshot(t, "integ:"+userID)); n != 0 {
		t.Fatalf("%d integration keys left after disconnect", n)
	}

	types := typesOf(securityLog(t, c))
	if !slices.Contains(types, "integration_connected") || types[0] != "integration_disconnected" {
		t.Fatalf("security log %v", types)
	}
}

func TestIntegrationsRefuseBadInput(t *testing.T) {
	c, _ := signUp(t)
	before := devtest.Snapshot(t, "integ:", "oauthstate:")

	anon := devtest.NewClient(t)
	devtest.Want(t, anon.Do("POST", "/api/integrations/connect", map[string]string{"provider": "demo"}), 401, "unauthenticated")
	devtest.Want(t, anon.Do("GET", "/api/integrations", nil), 401, "unauthenticated")
	devtest.Want(t, anon.Do("GET", "/api/integrations/choices?provider=demo", nil), 401, "unauthenticated")
	devtest.Want(t, anon.Do("POST", "/api/integrations/disconnect", map[string]string{"provider": "demo"}), 401, "unauthenticated")
	// Only QStash, signing for the job's own URL, may ask for a revocation.
	devtest.Want(t, anon.Do("POST", "/api/jobs/revoke-token", `{"user_id":"x","provider":"demo","grant":"v1.x.y"}`), 401, "unauthenticated")
	devtest.Want(t, c.Do("POST", "/api/integrations/connect", map[string]string{"provider": "myspace"}), 422, "unknown_provider")
	devtest.Want(t, c.Do("POST", "/api/integrations/connect", map[string]string{"provider": "stripe"}), 422, "provider_not_configured")
	devtest.Want(t, c.Do("POST", "/api/integrations/connect", map[string]any{"provider": 7}), 400, "invalid_request")
	devtest.Want(t, c.Do("POST", "/api/integrations/connect", `{"provider":`), 400, "invalid_request")
	devtest.Want(t, c.Do("GET", "/api/integrations/connect", nil), 405, "method_not_allowed")
	devtest.Want(t, c.Do("POST", "/api/integrations/disconnect", map[string]string{"provider": "myspace"}), 422, "unknown_provider")
	devtest.Want(t, c.Do("GET", "/api/integrations/choices?provider=demo", nil), 409, "not_connected")
	if after := devtest.Snapshot(t, "integ:", "oauthstate:"); !maps.Equal(after, before) {
		t.Fatalf("refused requests stored something: %v", after)
	}

	// A cross-site connect is refused (CSRF).
	evil := devtest.NewClient(t)
	evil.SetCookie(c.Cookie("mq_session"))
	evil.Header.Set("Origin", "https://evil.example")
	evil.Header.Set("Sec-Fetch-Site", "cross-site")
	devtest.Want(t, evil.Do("POST", "/api/integrations/connect", map[string]string{"provider": "demo"}), 403, "csrf_rejected")
}

func TestCallbackRefusesBadState(t *testing.T) {
	c, u := signUp(t)
	userID := u["id"].(string)
	ctx := context.Background()
	refused := func(name string, cl *devtest.Client, callback, code string) {
		t.Helper()
		before := devtest.Snapshot(t, "integ:"+userID)
		if got := finish(t, cl, callback).Get("error"); got != code {
			t.Errorf("%s: error=%q, want %q", name, got, code)
		}
		if after := devtest.Snapshot(t, "integ:"+userID); !maps.Equal(after, before) {
			t.Errorf("%s: stored data changed: %v", name, after)
		}
	}
	withState := func(callback, state string) string {
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
		return u.String()
	}

	_, request := startConnect(t, c)
	callback := decide(t, c, request, "allow", "sites.read", "metrics.read")
	refused("no session", devtest.NewClient(t), callback, "session_required")
	other, _ := signUp(t)
	refused("another user's browser", other, callback, "invalid_state")
	refused("the owner, after another user used the state", c, callback, "invalid_state")

	_, request = startConnect(t, c)
	callback = decide(t, c, request, "allow", "sites.read", "metrics.read")
	state, _ := url.Parse(callback)
	tampered := []byte(state.Query().Get("state"))
	tampered[0] ^= 1 // another base64url character
	refused("tampered state", c, withState(callback, string(tampered)), "invalid_state")
	refused("no state", c, withState(callback, ""), "invalid_state")

	// Expired: the state's record says it was made eleven minutes ago.
	_, request = startConnect(t, c)
	callback = decide(t, c, request, "allow", "sites.read", "metrics.read")
	state, _ = url.Parse(callback)
	sum := sha256.Sum256([]byte(state.Query().Get("state")))
	sk := devtest.Store.Key("oauthstate", hex.EncodeToString(sum[:]))
	var pending map[string]any
	if err := json.Unmarshal([]byte(devtest.Store.R.Get(ctx, sk).Val()), &pending); err != nil {
		t.Fatal(err)
	}
	pending["created"] = time.Now().Add(-11 * time.Minute).UTC()
	b, _ := json.Marshal(pending)
	devtest.Store.R.Set(ctx, sk, b, time.Minute)
	refused("expired state", c, callback, "invalid_state")

	// Denied at the sandbox, or a needed scope unticked.
	_, request = startConnect(t, c)
	refused("denied", c, decide(t, c, request, "deny"), "access_denied")
	_, request = startConnect(t, c)
	refused("scope unticked", c, decide(t, c, request, "allow", "metrics.read"), "insufficient_scope")

	// A state works once.
	_, request = startConnect(t, c)
	callback = decide(t, c, request, "allow", "sites.read", "metrics.read")
	if finish(t, c, callback).Get("connected") != "demo" {
		t.Fatal("a good callback failed")
	}
	refused("replayed state", c, callback, "invalid_state")
}

// TestLocalServerListsUnconfiguredProviders: on the local server the real providers without
// an OAuth client are listed as not configured, with the variables that would enable them,
// and still cannot be connected; the configured sandbox carries no such hint.
func TestLocalServerListsUnconfiguredProviders(t *testing.T) {
	c, _ := signUp(t)
	r := c.Do("GET", "/api/integrations", nil)
	devtest.Want(t, r, 200, "")
	var body struct {
		Integrations []integration.Row `json:"integrations"`
	}
	r.JSON(&body)
	rows := map[string]integration.Row{}
	for _, row := range body.Integrations {
		rows[row.Provider] = row
	}
	stripe, demo := rows["stripe"], rows["demo"]
	if stripe.Configured || !slices.Equal(stripe.EnableWith, []string{"STRIPE_CLIENT_ID", "STRIPE_SECRET_KEY"}) || stripe.Status != "disconnected" {
		t.Fatalf("stripe row %+v in %s", stripe, r.Body)
	}
	if g := rows["google-analytics"]; g.Configured || len(g.EnableWith) != 2 {
		t.Fatalf("google-analytics row %+v", g)
	}
	if !demo.Configured || demo.EnableWith != nil || strings.Contains(string(r.Body), `"enable_with":null`) {
		t.Fatalf("demo row %+v in %s", demo, r.Body)
	}
	devtest.Want(t, c.Do("POST", "/api/integrations/connect", map[string]string{"provider": "stripe"}), 422, "provider_not_configured")
}
