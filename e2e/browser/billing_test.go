package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/plan"
)

// Settings › Billing on the free plan shows the plan and each limit's usage ("N of M", the
// full one marked), and Upgrade leads to the checkout; on Pro it shows the next invoice date
// and Manage.
func TestSettingsBilling(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	free := plan.Default().Limits.Schedules
	for i := range free {
		devtest.Want(t, a.HTTP.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": i + 1, "hour": 7}), 201, "")
	}
	p := openTab(t)
	p.adopt(a)
	p.Visit("/app/settings#billing")
	p.WaitVisible("#billing-usage")
	if got := p.Text("#billing-plan"); got != "Free" {
		t.Fatalf("plan badge %q", got)
	}
	row := p.Text("#billing-usage tr[data-limit=schedules]")
	if !strings.Contains(row, "3 of 3") || p.Count("#billing-usage tr[data-limit=schedules].at-limit") != 1 {
		t.Fatalf("schedules row %q", row)
	}
	if n := p.Count("#billing-manage"); n != 0 {
		t.Fatal("Manage shown without a subscription")
	}
	p.A11y()
	p.Visit("/app/schedules")
	p.WaitVisible("#limit-schedules")
	if got := p.Text("#limit-schedules"); !strings.Contains(got, "3 of 3 schedules") || !Eval[bool](p, `document.querySelector('#new-schedule button[type=submit]').disabled`) {
		t.Fatalf("schedules page at the limit: %q, create button enabled", got)
	}
	p.Visit("/app/settings#billing")
	p.WaitVisible("#billing-upgrade")
	p.Click("#billing-upgrade")
	p.WaitPath("the checkout", func(path string) bool { return strings.HasPrefix(path, "/_dev/stripe") })

	me := a.HTTP.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)
	sub := billing.Subscription{Plan: "pro", Interval: "year", Status: "active", CurrentPeriodEnd: time.Now().AddDate(1, 0, 0)}
	if err := billing.New(devtest.Store, time.Now).SetSubscription(context.Background(), me["id"].(string), sub); err != nil {
		t.Fatal(err)
	}
	p.Visit("/app/settings#billing")
	p.WaitVisible("#billing-manage")
	if got := p.Text("#billing-plan"); got != "Pro" || p.Count("#billing-upgrade") != 0 || p.Count("#billing-next") != 1 {
		t.Fatalf("on pro: plan %q, upgrade %d, next invoice %d", got, p.Count("#billing-upgrade"), p.Count("#billing-next"))
	}
	if row := p.Text("#billing-usage tr[data-limit=schedules]"); !strings.Contains(row, "3 of 20") {
		t.Fatalf("schedules row on pro %q", row)
	}
}
