// Package plan defines Metriqs' plans in one place, as entitlements: what each plan costs
// (display amounts; Stripe holds the prices that are charged) and how many integrations,
// sources per report, schedules, recipients per schedule, share links and reports per month it
// allows. It also decides an account's effective plan from its subscription state and the
// time (effective.go), and names the error a request over a limit gets (limit.go).
//
// It imports nothing of Metriqs' but lib/problem, so lib/billing (which stores the
// subscription state) and every package that enforces a limit can import it.
package plan

import "slices"

// ID names a plan; it is what the API and the subscription state carry.
type ID string

// The plans.
const (
	Free ID = "free"
	Pro  ID = "pro"
)

// Interval is how often a paid plan is billed.
type Interval string

// Billing intervals (Stripe's recurring.interval).
const (
	Month Interval = "month"
	Year  Interval = "year"
)

// Price is a display amount: the Stripe Price of that plan and interval charges it.
type Price struct {
	AmountMinor int64  `json:"amount_minor"` // cents
	Currency    string `json:"currency"`     // ISO 4217, lower case
}

// Limits are a plan's entitlements. Every count is a maximum; none is unlimited, so that no
// account can make the hourly tick or a report's fan-out unbounded.
type Limits struct {
	Integrations          int `json:"integrations"`
	SourcesPerReport      int `json:"sources_per_report"`
	Schedules             int `json:"schedules"`
	RecipientsPerSchedule int `json:"recipients_per_schedule"`
	ShareLinks            int `json:"share_links"`
	ReportsPerMonth       int `json:"reports_per_month"`
}

// Plan is one plan.
type Plan struct {
	ID     ID                 `json:"id"`
	Name   string             `json:"name"`
	Prices map[Interval]Price `json:"prices,omitempty"` // none for the free plan
	Limits Limits             `json:"limits"`
}

// Paid reports whether the plan is bought (it has prices).
func (p Plan) Paid() bool { return len(p.Prices) > 0 }

// plans is the one definition (docs/billing.md's table mirrors it; a test keeps them equal).
var plans = []Plan{
	{ID: Free, Name: "Free", Limits: Limits{
		Integrations: 2, SourcesPerReport: 3, Schedules: 3, RecipientsPerSchedule: 3, ShareLinks: 3, ReportsPerMonth: 60,
	}},
	{ID: Pro, Name: "Pro",
		Prices: map[Interval]Price{Month: {AmountMinor: 1900, Currency: "usd"}, Year: {AmountMinor: 19000, Currency: "usd"}},
		Limits: Limits{
			Integrations: 10, SourcesPerReport: 20, Schedules: 20, RecipientsPerSchedule: 10, ShareLinks: 50, ReportsPerMonth: 500,
		}},
}

// All lists the plans, cheapest first.
func All() []Plan { return slices.Clone(plans) }

// Get returns the plan with id; ok is false for an unknown id.
func Get(id ID) (p Plan, ok bool) {
	i := slices.IndexFunc(plans, func(p Plan) bool { return p.ID == id })
	if i < 0 {
		return Plan{}, false
	}
	return plans[i], true
}

// Default is the free plan: every account without a paying subscription is on it.
func Default() Plan { return plans[0] }

// Upgrade is the plan a user over a limit of p is told to move to (the next one up), and
// false when p is the largest.
func Upgrade(p Plan) (Plan, bool) {
	i := slices.IndexFunc(plans, func(q Plan) bool { return q.ID == p.ID })
	if i < 0 || i+1 >= len(plans) {
		return Plan{}, false
	}
	return plans[i+1], true
}

// ValidInterval reports whether iv is a billing interval.
func ValidInterval(iv Interval) bool { return iv == Month || iv == Year }
