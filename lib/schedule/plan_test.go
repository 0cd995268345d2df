package schedule

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
)

func onPlan(s *Service, p plan.Plan) {
	s.SetLimits(func(context.Context, string) (Limits, error) { return LimitsOf(p), nil })
}

// 20 different creates at once with one schedule left on the free plan: one is stored, 19
// get 402 plan_limit naming schedules, and Redis holds exactly the plan's number.
func TestPlanScheduleLimitUnderParallelCreates(t *testing.T) {
	s, _, _, _ := newService(t)
	free := plan.Default()
	onPlan(s, free)
	ctx := context.Background()
	for i := range free.Limits.Schedules - 1 {
		if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(8)}); err != nil {
			t.Fatal(err)
		}
	}
	errs := parallel(20, func(i int) error {
		_, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(i % 7), Hour: ip(i)})
		return err
	})
	ok, limited := 0, 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if pe, _ := problem.As(err); pe != nil && pe.Status == 402 && pe.Code == plan.CodeLimit && pe.Field == string(plan.Schedules) {
			limited++
		}
	}
	if ok != 1 || limited != 19 {
		t.Fatalf("%d created, %d plan_limit (errors %v); want 1 and 19", ok, limited, errs)
	}
	wantStored(t, s, "u1", free.Limits.Schedules)
}

// More recipients than the plan allows: 402 plan_limit naming recipients_per_schedule, nothing
// stored.
func TestPlanRecipientLimit(t *testing.T) {
	s, _, _, _ := newService(t)
	free := plan.Default()
	onPlan(s, free)
	var list []string
	for i := range free.Limits.RecipientsPerSchedule + 1 {
		list = append(list, string(rune('a'+i))+"@example.com")
	}
	_, err := s.Create(context.Background(), "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(8), Recipients: list})
	if pe, _ := problem.As(err); pe == nil || pe.Status != 402 || pe.Field != string(plan.RecipientsPerSchedule) {
		t.Fatalf("got %v", err)
	}
	wantStored(t, s, "u1", 0)
	if _, err := s.Create(context.Background(), "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(8), Recipients: list[1:]}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// After a downgrade nothing is deleted: the oldest active schedules up to the plan's limit
// keep running, the rest are over the plan; pausing one lets the next one run.
func TestOverPlanAfterDowngrade(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	var made []*Schedule
	for i := range 5 {
		sc, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(8)})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, sc)
		clk.t = clk.t.Add(time.Second)
	}
	onPlan(s, plan.Default()) // 3 schedules
	over := func() (out []bool) {
		for _, sc := range made {
			o, err := s.OverPlan(ctx, "u1", sc.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		return out
	}
	if got := over(); !slices.Equal(got, []bool{false, false, false, true, true}) {
		t.Fatalf("over the plan: %v", got)
	}
	wantStored(t, s, "u1", 5)
	paused := true
	if _, err := s.Update(ctx, "u1", Owner{}, made[0].ID, Patch{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	if got := over(); !slices.Equal(got, []bool{false, false, false, false, true}) {
		t.Fatalf("after pausing the first: %v", got)
	}
}

// TestListMarksPausedByPlan: GET /api/schedules' paused_by_plan is OverPlan's rule: after a
// downgrade to 3 schedules the two newest active ones are marked, and a paused one is not.
func TestListMarksPausedByPlan(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(8)}); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Second)
	}
	onPlan(s, plan.Default())
	list, err := s.ListWithStatus(ctx, "u1", Owner{})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, sc := range list {
		got = append(got, sc.PausedByPlan)
	}
	if !slices.Equal(got, []bool{false, false, false, true, true}) {
		t.Fatalf("paused_by_plan: %v", got)
	}
}
