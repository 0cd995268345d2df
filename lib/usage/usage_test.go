package usage

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// subs is a fixed subscription per user.
type subs map[string]billing.Subscription

func (s subs) Subscription(_ context.Context, uid string) (billing.Subscription, error) {
	if sub, ok := s[uid]; ok {
		return sub, nil
	}
	return billing.Free(), nil
}

var now = time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)

func newService(t *testing.T, s subs) *Service {
	st := storetest.New(t)
	return New(st, s, func() time.Time { return now })
}

func TestPlanFollowsSubscription(t *testing.T) {
	s := newService(t, subs{
		"paid":  {Plan: "pro", Status: "active"},
		"grace": {Plan: "pro", Status: "past_due", PastDueSince: now.Add(-24 * time.Hour)},
		"over":  {Plan: "pro", Status: "past_due", PastDueSince: now.Add(-plan.GracePeriod - time.Second)},
	})
	for uid, want := range map[string]plan.ID{"paid": plan.Pro, "grace": plan.Pro, "over": plan.Free, "nobody": plan.Free} {
		p, err := s.Plan(context.Background(), uid)
		if err != nil || p.ID != want {
			t.Errorf("%s: %s %v, want %s", uid, p.ID, err, want)
		}
	}
}

// 20 reservations at once when one place is left: exactly one gets it, and the counter in
// Redis stops at the limit.
func TestReserveReportHoldsUnderParallelRequests(t *testing.T) {
	s := newService(t, nil)
	ctx := context.Background()
	free := plan.Default()
	limit := free.Limits.ReportsPerMonth
	if err := s.st.R.HSet(ctx, s.key("u1"), ReportsField(now), limit-1).Err(); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 20)
	storetest.Together(20, func(i int) { _, errs[i] = s.ReserveReport(ctx, "u1", free) })
	ok, refused := 0, 0
	for _, err := range errs {
		switch problem.CodeOf(err) {
		case "":
			ok++
		case plan.CodeLimit:
			refused++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	if ok != 1 || refused != 19 {
		t.Fatalf("%d reserved, %d refused; want 1 and 19", ok, refused)
	}
	if n, _ := s.ReportsThisMonth(ctx, "u1"); n != limit {
		t.Fatalf("counter %d, want %d", n, limit)
	}
	if !s.st.R.SIsMember(ctx, s.st.IndexKey("u1"), s.key("u1")).Val() {
		t.Fatal("the usage hash is not in the user's index")
	}
}

// A released reservation frees its place; the month is UTC's, so a new month starts empty.
func TestReleaseAndNewMonth(t *testing.T) {
	s := newService(t, nil)
	ctx := context.Background()
	free := plan.Default()
	for range free.Limits.ReportsPerMonth {
		if _, err := s.ReserveReport(ctx, "u1", free); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.ReserveReport(ctx, "u1", free)
	if problem.CodeOf(err) != plan.CodeLimit {
		t.Fatalf("over the limit: %v", err)
	}
	pro, _ := plan.Get(plan.Pro)
	r, err := s.ReserveReport(ctx, "u1", pro)
	if err != nil {
		t.Fatalf("pro: %v", err)
	}
	r.Release(ctx)
	if n, _ := s.ReportsThisMonth(ctx, "u1"); n != free.Limits.ReportsPerMonth {
		t.Fatalf("after release %d", n)
	}
	s.now = func() time.Time { return now.Add(time.Hour) } // 2027-01-01 00:30 UTC
	if n, _ := s.ReportsThisMonth(ctx, "u1"); n != 0 {
		t.Fatalf("new month starts at %d", n)
	}
	if _, err := s.ReserveReport(ctx, "u1", free); err != nil {
		t.Fatalf("new month: %v", err)
	}
}

type records []billing.Record

func (r records) ForUser(context.Context, string) ([]billing.Record, error) { return r, nil }

// The summary shows the plan in force (the free plan's limits once the grace period is over,
// while the paid plan is still named as subscribed), the counts from Redis, and the invoices
// newest first.
func TestSummary(t *testing.T) {
	since := now.Add(-plan.GracePeriod - time.Hour)
	s := newService(t, subs{"u1": {Plan: "pro", Interval: "month", Status: "past_due", PastDueSince: since, CurrentPeriodEnd: now.Add(time.Hour)}})
	ctx := context.Background()
	r := s.st.R
	r.HSet(ctx, s.st.Key("integ", "u1", "demo"), "status", "connected")
	r.HSet(ctx, s.st.Key("user", "u1", "schedules"), "a", "{}",
		"b", `{"recipients":["me@x.test","a@x.test","b@x.test"],"recipients_added":{"me@x.test":{"owner":true},"a@x.test":{}}}`)
	past, future := now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Minute).Format(time.RFC3339)
	r.SAdd(ctx, s.st.Key("user", "u1", "share-links"), "r1:l1", "r1:l2", "r1:gone", "r2:l3")
	r.HSet(ctx, s.st.Key("report", "r1", "shares"), "l1", `{"uid":"u1"}`, "l2", `{"uid":"u1","expires_at":"`+past+`"}`)
	r.HSet(ctx, s.st.Key("report", "r2", "shares"), "l3", `{"uid":"u1","expires_at":"`+future+`"}`)
	if _, err := s.ReserveReport(ctx, "u1", plan.Default()); err != nil {
		t.Fatal(err)
	}
	old := billing.Record{Number: "MQ-1", IssuedAt: now.AddDate(0, -1, 0), AmountMinor: 1900, Currency: "usd", Kind: "invoice"}
	recent := billing.Record{Number: "MQ-2", IssuedAt: now, AmountMinor: 1900, Currency: "usd", Kind: "invoice"}
	sum, err := s.Summarize(ctx, "u1", records{old, recent})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Plan != plan.Free || sum.Subscribed != plan.Pro || sum.Status != "past_due" || sum.Limits != plan.Default().Limits || sum.GraceEndsAt == nil {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Usage["integrations"] != 1 || sum.Usage["schedules"] != 2 || sum.Usage["reports_per_month"] != 1 ||
		sum.Usage["recipients_per_schedule"] != 2 || sum.Usage["share_links"] != 2 {
		t.Fatalf("usage %v", sum.Usage)
	}
	if len(sum.Invoices) != 2 || sum.Invoices[0].Number != "MQ-2" {
		t.Fatalf("invoices %+v", sum.Invoices)
	}
}
