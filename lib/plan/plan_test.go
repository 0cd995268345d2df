package plan

import (
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func TestEffective(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for name, tc := range map[string]struct {
		sub  Subscription
		want ID
	}{
		"none":                  {Subscription{}, Free},
		"active":                {Subscription{Plan: Pro, Status: StatusActive}, Pro},
		"trialing":              {Subscription{Plan: Pro, Status: StatusTrialing}, Pro},
		"past due, day 1":       {Subscription{Plan: Pro, Status: StatusPastDue, PastDueSince: now.Add(-day)}, Pro},
		"past due, last second": {Subscription{Plan: Pro, Status: StatusPastDue, PastDueSince: now.Add(-GracePeriod + time.Second)}, Pro},
		"past due, grace over":  {Subscription{Plan: Pro, Status: StatusPastDue, PastDueSince: now.Add(-GracePeriod)}, Free},
		"past due, no date":     {Subscription{Plan: Pro, Status: StatusPastDue}, Pro},
		"canceled":              {Subscription{Plan: Pro, Status: StatusCanceled}, Free},
		"unpaid":                {Subscription{Plan: Pro, Status: StatusUnpaid}, Free},
		"incomplete":            {Subscription{Plan: Pro, Status: StatusIncomplete}, Free},
		"paused":                {Subscription{Plan: Pro, Status: StatusPaused}, Free},
		"unknown plan":          {Subscription{Plan: "platinum", Status: StatusActive}, Free},
	} {
		if got := Effective(tc.sub, now).ID; got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

// Every paid plan is priced monthly and yearly, and allows at least what the free plan does.
func TestPlansAreConsistent(t *testing.T) {
	free := Default()
	if free.ID != Free || free.Paid() {
		t.Fatalf("default plan %+v", free)
	}
	for _, p := range All()[1:] {
		if p.Prices[Month].AmountMinor <= 0 || p.Prices[Year].AmountMinor <= 0 {
			t.Errorf("%s lacks a monthly or yearly price", p.ID)
		}
		for _, l := range []Limit{Integrations, SourcesPerReport, Schedules, RecipientsPerSchedule, ShareLinks, ReportsPerMonth} {
			if p.Limits.Of(l) < free.Limits.Of(l) || free.Limits.Of(l) < 1 {
				t.Errorf("%s: %s %d vs free %d", p.ID, l, p.Limits.Of(l), free.Limits.Of(l))
			}
		}
	}
}

func TestExceededNamesLimitAndUpgrade(t *testing.T) {
	e := Exceeded(Default(), Schedules)
	if e.Status != http.StatusPaymentRequired || problem.CodeOf(e) != CodeLimit || e.Field != "schedules" {
		t.Fatalf("%+v", e)
	}
	want := "Your Free plan allows 3 schedules. Upgrade to Pro in Settings › Billing for up to 20."
	if e.Message != want {
		t.Fatalf("message %q", e.Message)
	}
	pro, _ := Get(Pro)
	if e := Exceeded(pro, Schedules); e.Message != "Your Pro plan allows 20 schedules. Remove one first, or write to support to raise it." {
		t.Fatalf("message %q", e.Message)
	}
}
