package e2e

import (
	"context"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// GET /api/me says how many recovery codes are left, only while 2FA is on: the count stored
// in Redis, ten after enrolment.
func TestMeCountsRecoveryCodesLeft(t *testing.T) {
	c, _ := signUp(t)
	r := c.Do("GET", "/api/me", nil)
	devtest.Want(t, r, 200, "")
	if _, ok := r.Map()["user"].(map[string]any)["recovery_codes_left"]; ok {
		t.Fatalf("2FA off, yet %s", r.Body)
	}
	enable2FA(t, c)
	r = c.Do("GET", "/api/me", nil)
	devtest.Want(t, r, 200, "")
	user := r.Map()["user"].(map[string]any)
	stored := devtest.Store.R.SCard(context.Background(), devtest.Store.Key("user", user["id"].(string), "recovery")).Val()
	if left, _ := user["recovery_codes_left"].(float64); left != 10 || stored != 10 {
		t.Fatalf("recovery_codes_left = %v, stored %d, want 10", user["recovery_codes_left"], stored)
	}
}
