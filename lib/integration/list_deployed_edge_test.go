package integration_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/seal"
)

// The integrations list deployed shows only what this deployment configured (and what the
// user connected before its client was removed); the local server lists every real provider,
// the unconfigured ones with the variables that would enable them (issue 14, item 15).
func TestListShowsUnconfiguredProvidersOnlyLocally(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Stripe) // connected while Stripe was configured
	sealer, err := seal.New(e.ring)
	if err != nil {
		t.Fatal(err)
	}
	list := func(dev bool) map[string]integration.Row {
		t.Helper()
		gh := e.fakes[provider.GitHub]
		reg := provider.New(&config.Config{AppURL: appURL, Dev: dev, TokenKeys: e.ring},
			provider.WithEndpoints(provider.GitHub, gh.Endpoints()), provider.WithCredentials(provider.GitHub, gh.Credentials()))
		svc := integration.New(integration.Options{Store: e.st, Sealer: sealer, Providers: reg, Publisher: e.pub, AppURL: appURL, Now: e.clock.Now, Plans: e})
		rows, err := svc.List(ctx, e.user)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]integration.Row{}
		for _, r := range rows {
			out[r.Provider] = r
		}
		return out
	}
	deployed := list(false)
	if got := slices.Sorted(maps.Keys(deployed)); !slices.Equal(got, []string{provider.GitHub, provider.Stripe}) {
		t.Errorf("deployed rows %v, want github (configured) and stripe (still connected)", got)
	}
	if s := deployed[provider.Stripe]; s.Configured || s.EnableWith != nil || s.Status != integration.StatusConnected {
		t.Errorf("deployed, the stripe row still connected: %+v", s)
	}
	local := list(true)
	for _, id := range []string{provider.GoogleAnalytics, provider.SearchConsole} {
		if r, ok := local[id]; !ok || r.Configured || !slices.Equal(r.EnableWith, []string{"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"}) {
			t.Errorf("locally, %s: %+v (listed %v)", id, r, ok)
		}
	}
	if g := local[provider.GitHub]; !g.Configured || g.EnableWith != nil {
		t.Errorf("locally, the configured github row %+v", g)
	}
}
