package schedule

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// The hourly tick fails a report whose job died (it stayed queued past its generation
// deadline), once, however many ticks run at the same time.
func TestTickRepairsStuckReports(t *testing.T) {
	s, _, clk, st := newService(t)
	ctx := context.Background()
	r, err := s.reports.Create(ctx, report.Request{UserID: "u1", Spec: period.Spec{Preset: period.Last7Days}, Location: clk.now().Location()})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Tick(ctx); err != nil || res.Repaired != 0 {
		t.Fatalf("a tick within the deadline: %+v, %v", res, err)
	}
	clk.set(clk.now().Add(report.GenerationDeadline + 1))
	var repaired atomic.Int64
	storetest.Together(20, func(int) {
		res, err := s.Tick(ctx)
		if err != nil {
			t.Error(err)
		}
		repaired.Add(int64(res.Repaired))
	})
	if repaired.Load() != 1 {
		t.Fatalf("20 ticks repaired %d times, want 1", repaired.Load())
	}
	if got := st.R.HGet(ctx, st.Key("report", r.ID), "status").Val(); got != report.Failed {
		t.Fatalf("status in Redis = %q, want failed", got)
	}
	got, err := s.reports.Get(ctx, "u1", r.ID)
	if err != nil || got.ErrorCode != report.ErrCodeTimedOut {
		t.Fatalf("report = %+v, %v", got, err)
	}
}
