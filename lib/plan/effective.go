package plan

import "time"

// Subscription statuses, as Stripe names them.
const (
	StatusActive            = "active"
	StatusTrialing          = "trialing"
	StatusPastDue           = "past_due"
	StatusCanceled          = "canceled"
	StatusUnpaid            = "unpaid"
	StatusIncomplete        = "incomplete"
	StatusIncompleteExpired = "incomplete_expired"
	StatusPaused            = "paused"
)

// GracePeriod is how long a past_due subscription keeps its plan, from the first failed
// payment: Stripe's default Smart Retries try for about a week, and a customer whose card
// expired should not lose their schedules before they have read the e-mail asking them to fix it.
const GracePeriod = 7 * 24 * time.Hour

// Subscription is an account's subscription state, as lib/billing stores it from Stripe's
// webhooks (the account, not the person, is the billing subject). The zero value is "no
// subscription".
type Subscription struct {
	Plan              ID        `json:"plan"`
	Interval          Interval  `json:"interval,omitempty"`
	Status            string    `json:"status"`
	CurrentPeriodEnd  time.Time `json:"current_period_end,omitzero"`
	PastDueSince      time.Time `json:"past_due_since,omitzero"` // the first failed payment of this episode
	CancelAtPeriodEnd bool      `json:"cancel_at_period_end,omitempty"`
}

// Effective is the plan an account with sub has at now: its plan while active or trialing;
// while past_due, its plan until GracePeriod after the first failed payment, then the free
// plan's limits (and its plan again once paid, when Stripe sets it active); the free plan in
// every other state (canceled, unpaid, incomplete, paused, none) and for an unknown plan id.
func Effective(sub Subscription, now time.Time) Plan {
	p, ok := Get(sub.Plan)
	if !ok {
		return Default()
	}
	switch sub.Status {
	case StatusActive, StatusTrialing:
		return p
	case StatusPastDue:
		if InGrace(sub, now) {
			return p
		}
	}
	return Default()
}

// InGrace reports whether a past_due subscription still keeps its plan at now. A past_due
// state without the time of its first failure is treated as starting now: the customer gets
// the whole grace period rather than none.
func InGrace(sub Subscription, now time.Time) bool {
	if sub.Status != StatusPastDue {
		return false
	}
	return sub.PastDueSince.IsZero() || now.Before(sub.PastDueSince.Add(GracePeriod))
}

// GraceEnds is when a past_due subscription falls back to the free plan (zero otherwise).
func GraceEnds(sub Subscription) time.Time {
	if sub.Status != StatusPastDue || sub.PastDueSince.IsZero() {
		return time.Time{}
	}
	return sub.PastDueSince.Add(GracePeriod)
}
