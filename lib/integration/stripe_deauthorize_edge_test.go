package integration_test

import (
	"context"
	"slices"
	"testing"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// Stripe answers a deauthorize for a client id it does not take with 400 invalid_client
// (as for a key of the other mode): the app stays installed, so the disconnect shows the
// revocation pending and retries it, never "already revoked".
func TestStripeInvalidClientIsNotAlreadyRevoked(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.Stripe)
	f := e.fakes[provider.Stripe]
	clientID := f.ClientID
	f.ClientID = "ca_AnotherApp" // the fake now answers invalid_client
	if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: provider.Stripe}, browser); err != nil {
		t.Fatal(err)
	}
	ev := e.events(t)
	if !slices.Contains(ev, audit.IntegrationRevokeFailed) || slices.Contains(ev, audit.IntegrationRevoked) {
		t.Fatalf("security log %v: invalid_client must show the revocation pending", ev)
	}
	msgs := e.pub.messages()
	if len(msgs) != 1 || f.Live() == 0 {
		t.Fatalf("%d retries queued, %d live grants", len(msgs), f.Live())
	}
	if err := e.svc.RevokeJob(ctx, msgs[0]); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("job while Stripe answers invalid_client: %v, want a retryable error", err)
	}
	f.ClientID = clientID
	if err := e.svc.RevokeJob(ctx, msgs[0]); err != nil || f.Live() != 0 {
		t.Fatalf("retry: %v, %d live grants", err, f.Live())
	}
}
