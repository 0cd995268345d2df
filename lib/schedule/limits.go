package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// Limits bounds what one account may do with schedules. Every check of them goes through
// Service.limitsFor, so a plan's entitlements (lib/plan) replace DefaultLimits in one place.
type Limits struct {
	// Schedules is how many schedules the account may keep.
	Schedules int
	// Recipients is how many addresses besides the owner's one schedule may have.
	Recipients int
	// NewRecipientsPerDay is how many distinct addresses the account may add to its
	// schedules in any 24 hours, whatever it removes meanwhile: without it, editing a
	// schedule's recipients over and over would make Metriqs a way to mail strangers.
	NewRecipientsPerDay int
	// Plan is the plan these limits come from (plan.go), nil for DefaultLimits: over a plan's
	// limit the answer is its 402 plan_limit, which says how to raise it.
	Plan *plan.Plan
}

// DefaultLimits are the limits of an account without a plan that says otherwise.
var DefaultLimits = Limits{Schedules: MaxPerUser, Recipients: MaxRecipients, NewRecipientsPerDay: NewRecipientsPerDay}

// NewRecipientsPerDay is DefaultLimits' daily allowance of new addresses: two schedules'
// worth of new clients a day.
const NewRecipientsPerDay = 20

// newRecipientsWindow is the window NewRecipientsPerDay counts over (rolling, not a
// calendar day, so there is no midnight burst).
const newRecipientsWindow = 24 * time.Hour

// LimitsFunc returns the limits of an account.
type LimitsFunc func(ctx context.Context, userID string) (Limits, error)

// SetLimits replaces how the service finds an account's limits (a plan's, a test's).
func (s *Service) SetLimits(f LimitsFunc) { s.limits = f }

// limitsFor is the one place schedule limits are decided.
func (s *Service) limitsFor(ctx context.Context, userID string) (Limits, error) {
	if s.limits == nil {
		return DefaultLimits, nil
	}
	return s.limits(ctx, userID)
}

// errTooMany is the answer past lim.Schedules schedules.
func errTooMany(lim Limits) error {
	if lim.Plan != nil {
		return plan.Exceeded(*lim.Plan, plan.Schedules)
	}
	if lim.Schedules == MaxPerUser {
		return ErrTooMany
	}
	return problem.Conflict("too_many_schedules", fmt.Sprintf("An account can keep at most %d schedules. Delete one first.", lim.Schedules))
}

// errTooManyRecipients is the answer to a schedule with more than lim.Recipients others.
func errTooManyRecipients(lim Limits) error {
	if lim.Plan != nil {
		e := plan.Exceeded(*lim.Plan, plan.RecipientsPerSchedule)
		e.Message = "Recipients besides you count. " + e.Message
		return e
	}
	return problem.Unprocessable("too_many_recipients", "recipients", fmt.Sprintf("A schedule can have at most %d recipients besides you.", lim.Recipients))
}

// errNewRecipients is the answer past the daily allowance of new addresses.
func errNewRecipients(lim Limits) error {
	e := problem.New(429, "too_many_new_recipients", fmt.Sprintf("You can add at most %d new recipients in 24 hours. Try again tomorrow.", lim.NewRecipientsPerDay))
	e.RetryAfter = newRecipientsWindow
	return e
}

// errUnverifiedOwner refuses other recipients until the owner's address is confirmed.
func errUnverifiedOwner() error {
	return problem.New(403, "email_unverified", "Confirm your e-mail address before adding other recipients: open the link we sent you (Settings can send it again).")
}
