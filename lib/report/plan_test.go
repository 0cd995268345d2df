package report

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/usage"
)

// freeSubs puts every account on the free plan.
type freeSubs struct{}

func (freeSubs) Subscription(context.Context, string) (billing.Subscription, error) {
	return billing.Free(), nil
}

func withPlan(s *Service, st *store.Store) *usage.Service {
	u := usage.New(st, freeSubs{}, func() time.Time { return now })
	s.WithUsage(u)
	return u
}

// 20 requests at once with one report left in the month: one is queued, 19 get plan_limit,
// and only the one counts in the month and in the hourly quota.
func TestMonthlyLimitHoldsUnderParallelRequests(t *testing.T) {
	s, pub, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	u := withPlan(s, st)
	ctx := context.Background()
	limit := plan.Default().Limits.ReportsPerMonth
	st.R.HSet(ctx, st.Key("user", "u1", "usage"), usage.ReportsField(now), limit-1)
	errs := make([]error, 20)
	storetest.Together(20, func(i int) { errs[i] = request(s, "u1", period.Spec{Preset: period.Last7Days}) })
	ok, limited := 0, 0
	for _, err := range errs {
		switch problem.CodeOf(err) {
		case "":
			ok++
		case plan.CodeLimit:
			limited++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	if ok != 1 || limited != 19 {
		t.Fatalf("%d accepted, %d plan_limit; want 1 and 19", ok, limited)
	}
	if n, _ := u.ReportsThisMonth(ctx, "u1"); n != limit || storedReports(t, st, s, "u1") != 1 || len(pub.msgs) != 1 || quotaUsed(t, st, "u1") != 1 {
		t.Fatalf("month %d, stored %d, published %d, quota %d", n, storedReports(t, st, s, "u1"), len(pub.msgs), quotaUsed(t, st, "u1"))
	}
}

// A report that cannot be queued gives its place in the month back.
func TestFailedRequestGivesMonthBack(t *testing.T) {
	s, pub, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	u := withPlan(s, st)
	pub.fail = errors.New("qstash down")
	if err := request(s, "u1", period.Spec{Preset: period.Last7Days}); err == nil {
		t.Fatal("publish failure not reported")
	}
	if n, _ := u.ReportsThisMonth(context.Background(), "u1"); n != 0 {
		t.Fatalf("month counter %d after a failed request", n)
	}
}

// More connected integrations than the plan's sources per report (a downgraded account):
// 402 plan_limit naming sources_per_report, nothing stored or counted.
func TestTooManySourcesRefused(t *testing.T) {
	fetchers := map[string]metrics.Fetcher{}
	for _, p := range []string{"a", "b", "c", "d"} {
		fetchers[p] = okSection(p, 1)
	}
	s, pub, st := newService(t, fetchers)
	u := withPlan(s, st)
	err := request(s, "u1", period.Spec{Preset: period.Last7Days})
	if pe, ok := problem.As(err); !ok || pe.Status != 402 || pe.Code != plan.CodeLimit || pe.Field != string(plan.SourcesPerReport) {
		t.Fatalf("got %v", err)
	}
	n, _ := u.ReportsThisMonth(context.Background(), "u1")
	if n != 0 || storedReports(t, st, s, "u1") != 0 || len(pub.msgs) != 0 || quotaUsed(t, st, "u1") != 0 {
		t.Fatalf("refused request left month %d, stored %d, published %d, quota %d", n, storedReports(t, st, s, "u1"), len(pub.msgs), quotaUsed(t, st, "u1"))
	}
}
