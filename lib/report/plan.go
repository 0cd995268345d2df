package report

import (
	"context"
	"fmt"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// Limits enforces the account's plan (lib/usage's Service). It is an interface so that
// lib/report does not link lib/usage and lib/billing into generate-report, which shares this
// package and has no room for them (docs/performance.md).
type Limits interface {
	Plan(ctx context.Context, userID string) (plan.Plan, error)
	ReserveReport(ctx context.Context, userID string, p plan.Plan) (plan.Reservation, error)
}

// WithUsage makes Request enforce the account's plan (sources per report, reports per month)
// through u; without it Request enforces none (tests of other behaviour). RequestFor, what the
// API calls, always takes them.
func (s *Service) WithUsage(u Limits) *Service {
	s.usage = u
	return s
}

// monthly checks the plan's limits for a prepared report of sources sources and counts it
// against the month: the plan is read here, where a limit is checked, not at sign-in.
// Downgraded accounts keep their integrations; a report over sources_per_report is refused
// until one is disconnected or the plan raised (docs/billing.md).
func monthly(ctx context.Context, u Limits, userID string, sources int) (plan.Reservation, error) {
	if u == nil {
		return nil, nil
	}
	p, err := u.Plan(ctx, userID)
	if err != nil {
		return nil, err
	}
	if sources > p.Limits.SourcesPerReport {
		return nil, tooManySources(p, sources)
	}
	return u.ReserveReport(ctx, userID, p)
}

// tooManySources is plan_limit for sources_per_report, saying how many the report would use.
func tooManySources(p plan.Plan, sources int) *problem.Error {
	e := plan.Exceeded(p, plan.SourcesPerReport)
	e.Message = fmt.Sprintf("A report would use your %d connected integrations. %s Or disconnect one on the Integrations page.", sources, e.Message)
	e.Status = http.StatusPaymentRequired
	return e
}
