package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/plan"
)

// subscribe stores a subscription state for the user, as the webhook does.
func subscribe(t *testing.T, userID string, sub billing.Subscription) {
	t.Helper()
	if err := billing.New(devtest.Store, time.Now).SetSubscription(context.Background(), userID, sub); err != nil {
		t.Fatal(err)
	}
}

func onPro(t *testing.T, userID string) {
	subscribe(t, userID, billing.Subscription{Plan: "pro", Interval: "month", Status: "active", CurrentPeriodEnd: time.Now().Add(30 * 24 * time.Hour)})
}

func schedulesStored(t *testing.T, userID string) int64 {
	return devtest.Store.R.HLen(context.Background(), devtest.Store.Key("user", userID, "schedules")).Val()
}

// GET /api/billing shows the free plan and its usage; a schedule over the free limit is 402
// plan_limit with nothing stored; on Pro it is accepted; after cancellation the free limits
// apply again and nothing is deleted.
func TestPlanLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	id := u["id"].(string)
	b := c.Do("GET", "/api/billing", nil)
	devtest.Want(t, b, 200, "")
	m := b.Map()
	limits := m["limits"].(map[string]any)
	if m["plan"] != "free" || m["status"] != "none" || limits["schedules"] != float64(plan.Default().Limits.Schedules) || len(m["invoices"].([]any)) != 0 {
		t.Fatalf("GET /api/billing = %v", m)
	}
	free := plan.Default().Limits.Schedules
	for i := range free {
		devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": i + 1, "hour": 7}), 201, "")
	}
	over := map[string]any{"cadence": "monthly", "day": 20, "hour": 7}
	r := c.Do("POST", "/api/schedules", over)
	devtest.Want(t, r, 402, "plan_limit")
	if n := schedulesStored(t, id); n != int64(free) {
		t.Fatalf("%d schedules stored after a refused create", n)
	}
	if got := c.Do("GET", "/api/billing", nil).Map()["usage"].(map[string]any)["schedules"]; got != float64(free) {
		t.Fatalf("usage schedules %v", got)
	}
	onPro(t, id)
	if got := c.Do("GET", "/api/billing", nil).Map(); got["plan"] != "pro" || got["current_period_end"] == nil {
		t.Fatalf("on pro: %v", got)
	}
	devtest.Want(t, c.Do("POST", "/api/schedules", over), 201, "")
	subscribe(t, id, billing.Subscription{Plan: "pro", Status: "canceled"})
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": 21, "hour": 7}), 402, "plan_limit")
	if n := schedulesStored(t, id); n != int64(free+1) {
		t.Fatalf("after the downgrade %d schedules stored, want %d (nothing deleted)", n, free+1)
	}
}
