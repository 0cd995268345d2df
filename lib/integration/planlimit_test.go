package integration_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// free puts the env's accounts on the Free plan (2 integrations).
func free(t *testing.T, e *env) {
	t.Helper()
	e.plan = plan.Default()
	if e.plan.Limits.Integrations != 2 {
		t.Fatalf("the test assumes 2 integrations on %s", e.plan.Name)
	}
}

// TestIntegrationsLimitOnConnect: with both places taken a new provider is refused with 402
// before any state or rate-limit counter is written; reconnecting one the user has is not.
func TestIntegrationsLimitOnConnect(t *testing.T) {
	e := setup(t)
	free(t, e)
	e.connect(t, provider.Demo)
	e.connect(t, provider.GitHub)
	before := storetest.Values(t, e.st)
	_, err := e.svc.Connect(context.Background(), e.user, integration.ConnectInput{Provider: provider.Stripe})
	if problemCode(err) != plan.CodeLimit || problemStatus(err) != http.StatusPaymentRequired {
		t.Fatalf("third integration on Free: %v", err)
	}
	if after := storetest.Values(t, e.st); !equalMaps(before, after) {
		t.Fatalf("a refused connect wrote to Redis:\nbefore %v\nafter  %v", before, after)
	}
	e.connect(t, provider.GitHub) // a reconnect never counts as new
	if got, _ := e.svc.Connected(context.Background(), e.user); len(got) != 2 {
		t.Fatalf("connected %v", got)
	}
}

// TestIntegrationsLimitAtCallback: authorizations started while there was room are judged
// again when they come back; the one over the plan is refused and nothing is stored for it.
func TestIntegrationsLimitAtCallback(t *testing.T) {
	e := setup(t)
	free(t, e)
	e.connect(t, provider.Demo)
	var urls []string
	for _, id := range []string{provider.GitHub, provider.Stripe} {
		res, err := e.svc.Connect(context.Background(), e.user, integration.ConnectInput{Provider: id})
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, res.AuthorizeURL)
	}
	if back := e.callback(t, e.approve(t, urls[0])); back.Get("connected") != provider.GitHub {
		t.Fatalf("first: %v", back)
	}
	if back := e.callback(t, e.approve(t, urls[1])); back.Get("error") != integration.CallbackPlanLimit {
		t.Fatalf("over the plan: %v", back)
	}
	if rec := e.record(t, provider.Stripe); len(rec) != 0 {
		t.Fatalf("refused integration stored: %v", rec)
	}
}

// TestIntegrationsLimitTogether: 20 callbacks for four new providers at once with one place
// left end with exactly one new integration in Redis. Run with REDIS_URL for the real Redis.
func TestIntegrationsLimitTogether(t *testing.T) {
	e := setup(t)
	free(t, e)
	e.connect(t, provider.Demo)
	others := []string{provider.GitHub, provider.Stripe, provider.GoogleAnalytics, provider.SearchConsole}
	queries := make([]url.Values, 20)
	for i := range queries {
		res, err := e.svc.Connect(context.Background(), e.user, integration.ConnectInput{Provider: others[i%len(others)]})
		if err != nil {
			t.Fatal(err)
		}
		queries[i] = e.approve(t, res.AuthorizeURL)
	}
	var mu sync.Mutex
	won := map[string]bool{}
	storetest.Together(len(queries), func(i int) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", appURL+provider.CallbackPath+"?"+queries[i].Encode(), nil)
		if err := e.svc.Callback(rec, req); err != nil {
			t.Error(err)
		}
		loc, _ := url.Parse(rec.Header().Get("Location"))
		mu.Lock()
		defer mu.Unlock()
		if id := loc.Query().Get("connected"); id != "" {
			won[id] = true // the winner's other callbacks are reconnects
		}
	})
	stored := 0
	for _, id := range append(others, provider.Demo) {
		if len(e.record(t, id)) > 0 {
			stored++
		}
	}
	if stored != 2 || len(won) != 1 {
		t.Fatalf("%d integrations stored, %v connected; want 2 and one", stored, won)
	}
}

func problemStatus(err error) int {
	if p, ok := problem.As(err); ok {
		return p.Status
	}
	return 0
}
