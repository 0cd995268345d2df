package plan

import (
	"context"
	"fmt"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Limit names one entitlement, as GET /api/billing's limits and usage name it.
type Limit string

// The limits.
const (
	Integrations          Limit = "integrations"
	SourcesPerReport      Limit = "sources_per_report"
	Schedules             Limit = "schedules"
	RecipientsPerSchedule Limit = "recipients_per_schedule"
	ShareLinks            Limit = "share_links"
	ReportsPerMonth       Limit = "reports_per_month"
)

// Of returns the limit named l (0 for an unknown name).
func (ls Limits) Of(l Limit) int {
	switch l {
	case Integrations:
		return ls.Integrations
	case SourcesPerReport:
		return ls.SourcesPerReport
	case Schedules:
		return ls.Schedules
	case RecipientsPerSchedule:
		return ls.RecipientsPerSchedule
	case ShareLinks:
		return ls.ShareLinks
	case ReportsPerMonth:
		return ls.ReportsPerMonth
	}
	return 0
}

// nouns words each limit for messages.
var nouns = map[Limit]string{
	Integrations: "connected integrations", SourcesPerReport: "sources in one report", Schedules: "schedules",
	RecipientsPerSchedule: "recipients per schedule", ShareLinks: "share links", ReportsPerMonth: "reports a month",
}

// Reservation is a place counted against a limit before the thing is written; Release gives
// it back when the write fails, so a retry is not refused for something that never happened.
type Reservation interface {
	Release(ctx context.Context)
}

// CodeLimit is the stable code of a request over a plan limit (API.md).
const CodeLimit = "plan_limit"

// Exceeded is the 402 plan_limit answer to a create over limit l of plan p: it names the
// limit and says how to raise it. Field carries the limit's name, so a page can tell which.
func Exceeded(p Plan, l Limit) *problem.Error {
	msg := fmt.Sprintf("Your %s plan allows %d %s.", p.Name, p.Limits.Of(l), nouns[l])
	if up, ok := Upgrade(p); ok {
		msg += fmt.Sprintf(" Upgrade to %s in Settings › Billing for up to %d.", up.Name, up.Limits.Of(l))
	} else {
		msg += " Remove one first, or write to support to raise it."
	}
	e := problem.New(http.StatusPaymentRequired, CodeLimit, msg)
	e.Field = string(l)
	return e
}
