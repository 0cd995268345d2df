package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

// TestThroughStandIn runs the whole path: Publisher → QStash stand-in → signed delivery →
// Handler on real Redis, including a retry after a failure and a permanent failure.
func TestThroughStandIn(t *testing.T) {
	srv, qurl := qstashStandIn(t, qstashdev.Options{Backoff: func(int) time.Duration { return 0 }})
	st := storetest.New(t)

	var runs recorder
	runs.fail = func(call int, body []byte) error {
		switch string(body) {
		case `{"report_id":"flaky"}`:
			if call == 1 {
				return errors.New("provider timed out")
			}
		case `{"report_id":"gone"}`:
			return jobs.Permanent(errors.New("report deleted"))
		}
		return nil
	}
	var rn *jobs.Runner
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.Serve(w, r, web.Methods{http.MethodPost: rn.Handler("generate-report", runs.run)})
	})
	dest := newApp(t, h)
	rn = &jobs.Runner{Verifier: &jobs.Verifier{AppURL: dest.URL, CurrentSigningKey: currentKey, NextSigningKey: nextKey}, Store: st}
	p := newPublisher(t, dest.URL, qurl)
	ctx := context.Background()

	flaky, err := p.Publish(ctx, "generate-report", map[string]string{"report_id": "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := srv.Wait(ctx, flaky); err != nil || m.State != qstashdev.StateDelivered || len(m.Attempts) != 2 || m.Attempts[0].Status != 500 {
		t.Fatalf("flaky: %+v, %v", m, err)
	}

	gone, err := p.Publish(ctx, "generate-report", map[string]string{"report_id": "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := srv.Wait(ctx, gone); err != nil || m.State != qstashdev.StateFailed || len(m.Attempts) != 1 || m.LastStatus != jobs.StatusNonRetryable {
		t.Fatalf("gone: %+v, %v", m, err)
	}
	if runs.count() != 3 {
		t.Fatalf("run called %d times, want 3 (flaky twice, gone once)", runs.count())
	}
	if ledgerValue(t, st, "generate-report", flaky) != "done" || ledgerValue(t, st, "generate-report", gone) != "done" {
		t.Fatal("messages not recorded as done")
	}
}
