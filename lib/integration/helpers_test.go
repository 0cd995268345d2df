package integration_test

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
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/provider/providertest"
	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/testclock"
	"github.com/trymetriqs/metriqs/lib/web"
)

const appURL = "https://app.example"

var (
	analytics = "https://www.googleapis.com/auth/analytics.readonly"
	webmaster = "https://www.googleapis.com/auth/webmasters.readonly"
	browser   = web.Client{IP: "203.0.113.7", UserAgent: "test"}
)

// recorder is a Publisher that keeps what was published.
type recorder struct {
	mu   sync.Mutex
	msgs []json.RawMessage
	fail bool
}

func (r *recorder) Publish(_ context.Context, job string, body any, _ ...jobs.Option) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return "", errors.New("qstash down")
	}
	if job != integration.RevokeJobName {
		return "", fmt.Errorf("unexpected job %s", job)
	}
	b, _ := json.Marshal(body)
	r.msgs = append(r.msgs, b)
	return fmt.Sprintf("msg_%d", len(r.msgs)), nil
}

func (r *recorder) messages() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]json.RawMessage(nil), r.msgs...)
}

// env is a Service wired to a fake of every provider and a real sandbox.
type env struct {
	st    *store.Store
	clock *testclock.Clock
	pub   *recorder
	fakes map[string]*providertest.Fake
	sbx   *httptest.Server
	ring  config.KeyRing
	reg   *provider.Registry
	opts  []provider.Option
	svc   *integration.Service
	user  string // who is signed in, as Identify sees it
	// plan is every account's effective plan: Pro by default, so that tests connecting every
	// provider fit; the limit's tests set Free.
	plan plan.Plan
}

// Plan makes env the service's integration.Plans.
func (e *env) Plan(context.Context, string) (plan.Plan, error) { return e.plan, nil }

func key(id string, b byte) config.Key {
	return config.Key{ID: id, Secret: []byte(strings.Repeat(string(b), 32))}
}

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{
		st: storetest.New(t), clock: testclock.New(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), pub: &recorder{},
		ring: config.KeyRing{key("k1", 1)}, user: "useraaaaaaaaaaaaaaaaaaaaaa", plan: pro(t),
		fakes: map[string]*providertest.Fake{
			provider.GoogleAnalytics: providertest.Google(t, analytics),
			provider.SearchConsole:   providertest.Google(t, webmaster),
			provider.GitHub:          providertest.GitHub(t),
			provider.Stripe:          providertest.Stripe(t),
		},
	}
	for _, f := range e.fakes {
		f.SetClock(e.clock.Now)
	}
	demoCreds := config.Credentials{ClientID: provider.DemoClientID, ClientSecret: "sandbox-secret"}
	sb := sandbox.New(sandbox.Options{Store: e.st, Now: e.clock.Now, Client: demoCreds, RedirectURI: appURL + provider.CallbackPath,
		Identify: func(*http.Request) (string, error) { return e.user, nil }})
	e.sbx = httptest.NewServer(sb.Handler())
	t.Cleanup(e.sbx.Close)
	opts := []provider.Option{
		provider.WithCredentials(provider.Demo, demoCreds),
		provider.WithEndpoints(provider.Demo, provider.Endpoints{Auth: e.sbx.URL + provider.DemoAuthorizePath,
			Token: e.sbx.URL + provider.DemoTokenPath, Revoke: e.sbx.URL + provider.DemoRevokePath, API: e.sbx.URL}),
	}
	for id, f := range e.fakes {
		opts = append(opts, provider.WithEndpoints(id, f.Endpoints()), provider.WithCredentials(id, f.Credentials()))
	}
	e.opts = opts
	e.reg = provider.New(&config.Config{AppURL: appURL, DemoProvider: true, TokenKeys: e.ring}, opts...)
	e.svc = e.service(t, e.ring)
	return e
}

// service builds a Service over the same store and providers with another key ring.
func (e *env) service(t *testing.T, ring config.KeyRing) *integration.Service {
	t.Helper()
	sealer, err := seal.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return integration.New(integration.Options{
		Store: e.st, Sealer: sealer, Providers: e.reg, Publisher: e.pub, AppURL: appURL, Now: e.clock.Now,
		Identify: func(*http.Request) (string, error) {
			if e.user == "" {
				return "", errors.New("signed out")
			}
			return e.user, nil
		},
		LockWait: 5 * time.Second, Plans: e,
	})
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var requestField = regexp.MustCompile(`name="request" value="([a-z2-7]{26})"`)

// approve plays the user at the provider: it follows the authorization URL (answering the
// sandbox's consent page) and returns the query the provider sends back to Metriqs.
func (e *env) approve(t *testing.T, authURL string) url.Values {
	t.Helper()
	res, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := requestField.FindSubmatch(body); res.StatusCode == 200 && m != nil {
		res, err = noRedirect.PostForm(e.sbx.URL+provider.DemoAuthorizePath,
			url.Values{"request": {string(m[1])}, "decision": {"allow"}, "scope": {"sites.read", "metrics.read"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %s", res.StatusCode, body)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	return loc.Query()
}

// callback delivers the provider's answer to Metriqs' callback and returns where the
// browser is sent.
func (e *env) callback(t *testing.T, q url.Values) url.Values {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", appURL+provider.CallbackPath+"?"+q.Encode(), nil)
	if err := e.svc.Callback(rec, req); err != nil {
		t.Fatal(err)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), appURL+"/app/integrations?") {
		t.Fatalf("callback answered %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatal("callback redirect may leak the code in Referer")
	}
	return loc.Query()
}

// connect runs connect, the provider's consent and the callback.
func (e *env) connect(t *testing.T, providerID string) {
	t.Helper()
	res, err := e.svc.Connect(context.Background(), e.user, integration.ConnectInput{Provider: providerID})
	if err != nil {
		t.Fatal(err)
	}
	if back := e.callback(t, e.approve(t, res.AuthorizeURL)); back.Get("connected") != providerID {
		t.Fatalf("callback: %v", back)
	}
}

// probe calls the provider's API with the client Client returns.
func (e *env) probe(t *testing.T, providerID string) error {
	t.Helper()
	hc, _, err := e.svc.Client(context.Background(), e.user, providerID)
	if err != nil {
		return err
	}
	u := e.sbx.URL + provider.DemoSitesPath
	if f := e.fakes[providerID]; f != nil {
		u = f.URL + providertest.WhoAmIPath
	}
	res, err := hc.Get(u)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("probe: HTTP %d", res.StatusCode)
	}
	return nil
}

func (e *env) record(t *testing.T, providerID string) map[string]string {
	t.Helper()
	return e.st.R.HGetAll(context.Background(), e.st.Key("integ", e.user, providerID)).Val()
}

func (e *env) events(t *testing.T) []string {
	t.Helper()
	list, err := audit.New(e.st, e.clock.Now).List(context.Background(), e.user)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range list {
		types = append(types, ev.Type)
	}
	return types
}

// snapshot renders every key but the ones a refused request may legitimately touch (rate
// limit counters, the consumed state), to show nothing else changed.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := storetest.Values(t, e.st)
	for k := range out {
		if strings.Contains(k, ":rl:") || strings.Contains(k, ":oauthstate:") {
			delete(out, k)
		}
	}
	return out
}

// render shows a key's value whatever its type (miniredis has no DUMP for non-strings).
func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func problemCode(err error) string { return problem.CodeOf(err) }

func pro(t *testing.T) plan.Plan {
	t.Helper()
	p, ok := plan.Get(plan.Pro)
	if !ok {
		t.Fatal("no pro plan")
	}
	return p
}
