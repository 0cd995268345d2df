package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func refreshes(e *env, id string) int {
	n := 0
	for _, c := range e.fakes[id].RefreshUses() {
		n += c
	}
	return n
}

// A connection nobody used for a month gets its token renewed (Google and GitHub, whose
// refresh tokens die of disuse), once: a second run, or one within the month, renews
// nothing. Stripe's tokens do not die of disuse and are left alone.
func TestKeepAliveRenewsIdleTokens(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, id := range []string{provider.GitHub, provider.GoogleAnalytics, provider.Stripe} {
		e.connect(t, id)
	}
	before := map[string]int{}
	for _, id := range []string{provider.GitHub, provider.GoogleAnalytics, provider.Stripe} {
		before[id] = refreshes(e, id)
	}
	e.clock.Add(integration.KeepAliveAfter - time.Hour)
	if err := e.svc.KeepAliveJob(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if refreshes(e, provider.GitHub) != before[provider.GitHub] {
		t.Fatal("renewed a token used within the month")
	}

	e.clock.Add(2 * time.Hour)
	for range 2 { // the schedule's message, delivered twice
		if err := e.svc.KeepAliveJob(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]int{provider.GitHub: 1, provider.GoogleAnalytics: 1, provider.Stripe: 0} {
		if got := refreshes(e, id) - before[id]; got != want {
			t.Errorf("%s renewed %d times, want %d", id, got, want)
		}
	}
	rec := e.record(t, provider.GitHub)
	if rec["status"] != integration.StatusConnected || rec["issued_at"] != e.clock.Now().UTC().Format(time.RFC3339Nano) {
		t.Errorf("GitHub record after the renewal: status %s, issued %s", rec["status"], rec["issued_at"])
	}
	if err := e.probe(t, provider.GitHub); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.KeepAliveJob(ctx, []byte(`{"cursor":"x"}`)); err == nil {
		t.Error("a bad body was accepted")
	}
}

// Twenty deliveries at once renew a rotating GitHub token once: a second renewal would
// spend the rotated refresh token, and GitHub would then refuse it (bad_refresh_token),
// leaving the connection needing a reconnect.
func TestKeepAliveTogether(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	before := refreshes(e, provider.GitHub)
	e.clock.Add(integration.KeepAliveAfter + time.Hour)
	storetest.Together(20, func(int) {
		if err := e.svc.KeepAliveJob(ctx, nil); err != nil {
			t.Error(err)
		}
	})
	if got := refreshes(e, provider.GitHub) - before; got != 1 {
		t.Errorf("renewed %d times, want 1", got)
	}
	if st := e.record(t, provider.GitHub)["status"]; st != integration.StatusConnected {
		t.Errorf("status %s", st)
	}
	if err := e.probe(t, provider.GitHub); err != nil {
		t.Fatal(err)
	}
}
