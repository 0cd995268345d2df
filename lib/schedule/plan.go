package schedule

import (
	"context"

	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/usage"
)

// planLimits are the limits of the account's effective plan (lib/usage), read where a limit
// is checked. The daily allowance of new addresses is not a plan's entitlement: it stops
// abuse, whatever the plan.
func planLimits(ctx context.Context, userID string) (Limits, error) {
	u, err := usage.Default()
	if err != nil {
		return Limits{}, err
	}
	p, err := u.Plan(ctx, userID)
	if err != nil {
		return Limits{}, err
	}
	return LimitsOf(p), nil
}

// LimitsOf are the schedule limits of plan p.
func LimitsOf(p plan.Plan) Limits {
	return Limits{Schedules: p.Limits.Schedules, Recipients: p.Limits.RecipientsPerSchedule,
		NewRecipientsPerDay: NewRecipientsPerDay, Plan: &p}
}

// PlanLimits are the limits of the account's effective plan (planLimits), for services built
// outside Default (lib/delivery's).
func PlanLimits(ctx context.Context, userID string) (Limits, error) { return planLimits(ctx, userID) }

// OverPlan reports whether schedule id is beyond the account's plan. Downgrading never
// deletes: the oldest active (not paused) schedules up to the plan's limit keep running, and
// the others are paused by the plan — their ticked runs do nothing — until the plan is raised
// or the user pauses or deletes others, which lets them choose which ones run.
func (s *Service) OverPlan(ctx context.Context, userID, id string) (bool, error) {
	lim, err := s.limitsFor(ctx, userID)
	if err != nil {
		return false, err
	}
	list, err := s.List(ctx, userID)
	if err != nil {
		return false, err
	}
	over := overPlan(list, lim)
	for i, sc := range list {
		if sc.ID == id {
			return over[i], nil
		}
	}
	return false, nil
}

// overPlan marks, in list's order (oldest first), the active schedules past lim.Schedules:
// OverPlan's rule, which GET /api/schedules shows as paused_by_plan.
func overPlan(list []Schedule, lim Limits) []bool {
	over := make([]bool, len(list))
	active := 0
	for i, sc := range list {
		if !sc.Paused {
			over[i] = active >= lim.Schedules
			active++
		}
	}
	return over
}
