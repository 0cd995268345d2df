package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// notices are the owner's schedule notices the outbox got.
func (w *world) notices() []mail.Outgoing {
	var out []mail.Outgoing
	for _, m := range w.out.to(owner) {
		if !strings.HasPrefix(m.Subject, "Your Metriqs report") && !strings.HasPrefix(m.Subject, "[Test]") {
			out = append(out, m)
		}
	}
	return out
}

// A recipient that bounces: the run is partly sent, the owner is told once (every job twice),
// and twenty re-sends at once send again to only that recipient, once.
func TestBounceNotifiesOnceAndResendsOnlyTheMissing(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com", "gone@example.com")
	w.out.fail["gone@example.com"] = true
	w.tick(monday, 2)
	w.drain()
	h := w.history("u1", sc.ID)
	if h.Runs[0].Status != delivery.RunPartlySent || h.Runs[0].Recipients[2].Status != mail.StatusBounced || h.Runs[0].Recipients[2].Error == "" {
		t.Fatalf("run = %+v", h.Runs[0])
	}
	if n := w.notices(); len(n) != 1 || !strings.Contains(n[0].Text, "gone@example.com") {
		t.Fatalf("owner notices = %d", len(n))
	}
	delete(w.out.fail, "gone@example.com")
	var ok atomic.Int64
	storetest.Together(20, func(int) {
		if again, err := w.d.Resend(context.Background(), "u1", sc.ID, h.Runs[0].ID); err == nil {
			if len(again) != 1 || again[0] != "gone@example.com" {
				t.Errorf("re-sent to %v", again)
			}
			ok.Add(1)
		} else if err != delivery.ErrNothingToResend {
			t.Error(err)
		}
	})
	w.drain()
	if ok.Load() != 1 {
		t.Fatalf("%d re-sends accepted, want 1", ok.Load())
	}
	if len(w.out.to("gone@example.com")) != 1 || len(w.out.to("client@example.com")) != 1 || len(w.notices()) != 1 {
		t.Fatalf("after the re-send: gone %d, client %d, notices %d", len(w.out.to("gone@example.com")), len(w.out.to("client@example.com")), len(w.notices()))
	}
	if h := w.history("u1", sc.ID); h.Runs[0].Status != delivery.RunSent || h.Runs[0].Resends != 1 {
		t.Fatalf("run after the re-send = %+v", h.Runs[0])
	}
	if _, err := w.d.Resend(context.Background(), "u1", sc.ID, h.Runs[0].ID); err != delivery.ErrNothingToResend {
		t.Fatalf("a re-send of a delivered run: %v", err)
	}
}

// A schedule that holds while a source needs reconnecting sends nothing and tells the owner
// once; after reconnecting, the held run's next look sends it. One that sends anyway sends,
// and tells the owner.
func TestNeedsReconnect(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	sc.OnNeedsReconnect = schedule.Hold
	b, _ := json.Marshal(sc)
	w.st.R.HSet(context.Background(), w.st.Key("user", "u1", "schedules"), sc.ID, b)
	w.health.missing = []string{metrics.ProviderGA4}
	w.tick(monday, 1)
	for i := 0; i < 3; i++ { // three hourly looks, each delivered twice
		for _, m := range w.q.take() {
			storetest.Together(2, func(int) { _ = w.run(context.Background(), m) })
			_, _ = w.q.Publish(context.Background(), m.job, jsonRaw(m.body))
		}
	}
	if n := len(w.out.to("client@example.com")); n != 0 {
		t.Fatalf("a held run sent %d", n)
	}
	if n := w.notices(); len(n) != 1 || !strings.Contains(n[0].Subject, "on hold: reconnect Google Analytics") {
		t.Fatalf("notices = %+v", n)
	}
	if h := w.history("u1", sc.ID); h.Runs[0].Status != delivery.RunHeld || h.Runs[0].Missing[0] != metrics.ProviderGA4 {
		t.Fatalf("run = %+v", h.Runs[0])
	}
	w.health.missing = nil
	w.drain()
	if n := len(w.out.to("client@example.com")); n != 1 {
		t.Fatalf("after reconnecting the client got %d", n)
	}
	_ = time.Second
}
