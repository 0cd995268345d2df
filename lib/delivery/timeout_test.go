package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/report"
)

// A run whose generate-report job died: its report is failed as timed out by a later tick's
// repair, which also publishes the run's deliver-run, so the run ends failed
// (report_timed_out) and the owner is told once — instead of the run staying generating.
func TestTimedOutReportFailsTheRunAndTellsTheOwner(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	for msgs := w.q.take(); len(msgs) > 0; msgs = w.q.take() {
		for _, m := range msgs {
			if m.job != report.JobGenerate { // the generation dies with its function
				_ = w.run(context.Background(), m)
			}
		}
	}
	if h := w.history("u1", sc.ID); len(h.Runs) != 1 || h.Runs[0].Status != delivery.RunGenerating {
		t.Fatalf("before the repair: %+v", h.Runs)
	}
	w.tick(monday.Add(report.GenerationDeadline+time.Hour), 2)
	w.drain()
	h := w.history("u1", sc.ID)
	if len(h.Runs) != 1 || h.Runs[0].Status != delivery.RunFailed || h.Runs[0].ErrorCode != "report_timed_out" {
		t.Fatalf("after the repair: %+v", h.Runs[0])
	}
	if n := w.notices(); len(n) != 1 {
		t.Fatalf("the owner got %d notices", len(n))
	}
	if n := len(w.out.to("client@example.com")); n != 0 {
		t.Fatalf("the guest got %d e-mails", n)
	}
}
