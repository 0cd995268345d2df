package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/schedule"
)

// After a downgrade to a plan allowing one schedule, the older one runs and the newer one is
// paused by the plan: its ticked run makes no run, report or e-mail, and it is not deleted.
func TestScheduleOverPlanDoesNotRun(t *testing.T) {
	w := newWorld(t)
	older := w.schedule("u1")
	w.clk.set(w.clk.now().Add(time.Second)) // created later: the plan keeps the older
	wd, h := 1, 9
	newer, err := w.schedules.Create(context.Background(), "u1", "UTC",
		schedule.Input{Cadence: schedule.Weekly, Weekday: &wd, Hour: &h, Compare: period.PreviousYear})
	if err != nil {
		t.Fatal(err)
	}
	w.schedules.SetLimits(func(context.Context, string) (schedule.Limits, error) {
		return schedule.Limits{Schedules: 1, Recipients: 10, NewRecipientsPerDay: 20}, nil
	})
	w.tick(monday, 2)
	w.drain()
	if n := len(w.history("u1", older.ID).Runs); n != 1 {
		t.Fatalf("the schedule within the plan ran %d times", n)
	}
	if n := len(w.history("u1", newer.ID).Runs); n != 0 {
		t.Fatalf("the schedule over the plan ran %d times", n)
	}
	if _, err := w.schedules.Get(context.Background(), "u1", newer.ID); err != nil {
		t.Fatalf("the schedule over the plan is gone: %v", err)
	}
}
