package integration_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// mailPub counts the send-email jobs the mail service publishes.
type mailPub struct{ n atomic.Int32 }

func (p *mailPub) Publish(context.Context, string, any, ...jobs.Option) (string, error) {
	p.n.Add(1)
	return "msg", nil
}

// withNotices gives e a Service that queues connection notices into the real mail records
// of e's store, for an account whose address is alice@example.com.
func withNotices(t *testing.T, e *env) (*mail.Service, *mailPub) {
	t.Helper()
	pub := &mailPub{}
	ms := mail.New(e.st, pub, e.clock.Now)
	if err := e.st.R.HSet(context.Background(), e.st.Key("user", e.user), "email", "alice@example.com").Err(); err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(e.ring)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = integration.New(integration.Options{
		Store: e.st, Sealer: sealer, Providers: e.reg, Publisher: e.pub, AppURL: appURL, Now: e.clock.Now,
		Identify: func(*http.Request) (string, error) { return e.user, nil }, LockWait: 5 * time.Second,
		Notices: notice.New(ms.Enqueue, appURL),
	})
	return ms, pub
}

func kinds(t *testing.T, ms *mail.Service, userID string) map[string][]mail.Record {
	t.Helper()
	recs, err := ms.Sent(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]mail.Record{}
	for _, r := range recs {
		out[r.Kind] = append(out[r.Kind], r)
	}
	return out
}

// Twenty reports failing at once on one revoked connection queue one reconnect notice and
// log one event; reconnecting queues one "works again" notice, and only after a failure.
func TestNeedsReauthNoticeOncePerFailure(t *testing.T) {
	e := setup(t)
	ms, pub := withNotices(t, e)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	if got := kinds(t, ms, e.user); len(got) != 0 {
		t.Fatalf("a first connection mailed %v", got)
	}
	storetest.Together(20, func(int) {
		if err := e.svc.RefusedAccess(ctx, e.user, provider.GitHub); err != nil {
			t.Error(err)
		}
	})
	got := kinds(t, ms, e.user)
	if n := len(got[notice.KindNeedsReauth]); n != 1 || len(got) != 1 || pub.n.Load() != 1 {
		t.Fatalf("%d reconnect notices (%v), %d published; want 1", n, got, pub.n.Load())
	}
	if r := got[notice.KindNeedsReauth][0]; r.To != "alice@example.com" || r.Status != mail.StatusQueued {
		t.Fatalf("record %+v", r)
	}
	if n := countOf(e.events(t), audit.IntegrationNeedsReauth); n != 1 {
		t.Fatalf("%d needs_reauth events", n)
	}
	e.connect(t, provider.GitHub)
	e.connect(t, provider.GitHub) // connected -> connected is no news
	got = kinds(t, ms, e.user)
	if len(got[notice.KindRestored]) != 1 || len(got[notice.KindNeedsReauth]) != 1 {
		t.Fatalf("after reconnecting: %v", got)
	}
	// A second failure of the new connection is a new notice.
	if err := e.svc.RefusedAccess(ctx, e.user, provider.GitHub); err != nil {
		t.Fatal(err)
	}
	if n := len(kinds(t, ms, e.user)[notice.KindNeedsReauth]); n != 2 {
		t.Fatalf("%d reconnect notices after a second failure, want 2", n)
	}
}

// A closed account is told nothing about its connections.
func TestNoConnectionNoticeForClosedAccount(t *testing.T) {
	e := setup(t)
	ms, _ := withNotices(t, e)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	e.st.R.HSet(ctx, e.st.Key("user", e.user), "deleted", "1")
	if err := e.svc.RefusedAccess(ctx, e.user, provider.GitHub); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if got := kinds(t, ms, e.user); len(got) != 0 {
		t.Fatalf("a closed account was mailed %v", got)
	}
}
