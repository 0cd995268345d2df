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
