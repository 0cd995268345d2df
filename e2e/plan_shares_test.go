package e2e

import (
	"context"
	"testing"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/share"
)

// Over HTTP: the Free plan's share links are counted per account and the one over is 402
// plan_limit with nothing stored; GET /api/billing's usage counts them; revoking one makes
// room. After a downgrade GET /api/schedules marks the newest schedule paused_by_plan.
func TestShareLinkAndSchedulePlanOverHTTP(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid := u["id"].(string)
	connectDemo(t, c)
	rid := requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	free := plan.Default().Limits.ShareLinks
	var first string
	for i := range free {
		id, _ := createShare(t, c, map[string]any{"report_id": rid})
		if i == 0 {
			first = id
		}
	}
	devtest.Want(t, c.Do("POST", "/api/shares", map[string]any{"report_id": rid}), 402, "plan_limit")
	made := devtest.Store.R.SCard(context.Background(), share.MadeKey(devtest.Store, uid)).Val()
	usage := c.Do("GET", "/api/billing", nil).Map()["usage"].(map[string]any)
	if made != int64(free) || usage["share_links"] != float64(free) {
		t.Fatalf("after a refused link: %d stored, usage %v", made, usage)
	}
	devtest.Want(t, c.Do("DELETE", "/api/shares?id="+first, nil), 204, "")
	createShare(t, c, map[string]any{"report_id": rid})

	onPro(t, uid)
	for i := range plan.Default().Limits.Schedules + 1 {
		devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": i + 1, "hour": 7}), 201, "")
	}
	subscribe(t, uid, billing.Subscription{Plan: "pro", Status: "canceled"})
	var list struct {
		Schedules []struct {
			PausedByPlan bool `json:"paused_by_plan"`
		} `json:"schedules"`
	}
	c.Do("GET", "/api/schedules", nil).JSON(&list)
	marked := 0
	for _, sc := range list.Schedules {
		if sc.PausedByPlan {
			marked++
		}
	}
	if len(list.Schedules) != plan.Default().Limits.Schedules+1 || marked != 1 {
		t.Fatalf("after the downgrade: %+v", list)
	}
}
