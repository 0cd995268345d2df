package delivery_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// A held run's looks, every message delivered twice at once (QStash's duplicates; the twin
// publications are the same message, collapsed as QStash's dedup id does): one chain of
// looks, each counted once, so the run waits MaxHolds looks (a week) and fails at the next.
func TestHeldRunWaitsAWeekOfLooks(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	sc.OnNeedsReconnect = schedule.Hold
	b, _ := json.Marshal(sc)
	ctx := context.Background()
	w.st.R.HSet(ctx, w.st.Key("user", "u1", "schedules"), sc.ID, b)
	w.health.missing = []string{metrics.ProviderGA4}
	w.tick(monday, 1)
	for look := 0; look <= delivery.MaxHolds; look++ {
		if h := w.history("u1", sc.ID); len(h.Runs) == 1 && h.Runs[0].Status != delivery.RunHeld {
			t.Fatalf("look %d: run %s (%s) before a week of looks", look, h.Runs[0].Status, h.Runs[0].ErrorCode)
		}
		var runs int
		for _, m := range dedupe(w.q.take()) {
			if m.job == delivery.JobRun {
				runs++
			}
			storetest.Together(2, func(int) { _ = w.run(ctx, m) })
		}
		if runs != 1 {
			t.Fatalf("look %d: %d run-schedule messages", look, runs)
		}
	}
	if h := w.history("u1", sc.ID); h.Runs[0].Status != delivery.RunFailed || h.Runs[0].ErrorCode != "held_too_long" {
		t.Fatalf("after a week of looks: %+v", h.Runs[0])
	}
}

// When the source is reconnected, lib/integration's resume message (delivered twice) sends
// the held run at once: the pending hourly look is never delivered here. Nothing of the
// wait is left, and a second resume publishes nothing.
func TestReconnectSendsTheHeldRun(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	sc.OnNeedsReconnect = schedule.Hold
	b, _ := json.Marshal(sc)
	ctx := context.Background()
	w.st.R.HSet(ctx, w.st.Key("user", "u1", "schedules"), sc.ID, b)
	w.health.missing = []string{metrics.ProviderGA4}
	w.tick(monday, 1)
	for _, m := range w.q.take() {
		storetest.Together(2, func(int) { _ = w.run(ctx, m) })
	}
	w.q.take() // the hourly look (and the notice), never delivered
	w.health.missing = nil
	if delivery.JobRun != integration.ResumeJob {
		t.Fatalf("integration publishes %q, delivery serves %q", integration.ResumeJob, delivery.JobRun)
	}
	resume, _ := json.Marshal(integration.ResumeBody{UserID: "u1", ResumeHeld: true})
	storetest.Together(2, func(int) {
		if err := w.d.Start(ctx, resume); err != nil {
			t.Error(err)
		}
	})
	w.drain()
	if n := len(w.out.to("client@example.com")); n != 1 {
		t.Fatalf("after the reconnect the client got %d", n)
	}
	if h := w.history("u1", sc.ID); h.Runs[0].Status != delivery.RunSent {
		t.Fatalf("run = %+v", h.Runs[0])
	}
	if err := w.d.Start(ctx, resume); err != nil || len(w.q.take()) != 0 {
		t.Fatalf("a resume with nothing held: %v", err)
	}
	if n := w.st.R.Exists(ctx, w.st.Key("user", "u1", "runs", "held")).Val(); n != 0 {
		t.Fatal("the held run is still listed")
	}
}
