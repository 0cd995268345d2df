package e2e

import (
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// verifyAddress confirms email with the link its signup mailed (the dev server's mailbox):
// adding recipients other than oneself needs a confirmed address.
func verifyAddress(t *testing.T, email string) {
	t.Helper()
	token, _ := mailedToken(t, "verify_email", email)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": token}), 204, "")
}

// Anti-spam: until the owner confirms their address, a schedule may go to them alone; adding
// a guest is 403 email_unverified on create and edit, with nothing stored; after confirming,
// the same edit is accepted.
func TestGuestsNeedAConfirmedAddress(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	me := u["email"].(string)
	both := []string{me, "guest@client.example"}
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 2, "hour": 9, "timezone": "UTC", "recipients": both}), 403, "email_unverified")
	r := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"})
	devtest.Want(t, r, 201, "")
	id := r.Map()["id"].(string)
	unchangedFor(t, u["id"].(string), func() {
		devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"recipients": both}), 403, "email_unverified")
	})
	verifyAddress(t, me)
	devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"recipients": both}), 200, "")
}
