package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// A schedule that holds while a source needs reconnecting: "Send now" is held (its next look
// an hour away in the dev QStash); reconnecting the source over the OAuth flow sends it at
// once, and the history says sent.
func TestHeldRunSentOnReconnect(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	me := u["email"].(string)
	connectDemo(t, c)
	access, _ := storedTokens(t, u["id"].(string))
	req, _ := http.NewRequest("POST", devtest.Server.URL+"/api/sandbox/revoke", strings.NewReader("token="+access))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(demoClient(t))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke at the sandbox: %v %v", res, err)
	}
	awaitReport(t, c, requestReport(t, c, "last_7_days")) // the refusal marks it needs_reauth
	if row := demoRow(t, c); row["status"] != "needs_reauth" {
		t.Fatalf("integration: %v", row["status"])
	}
	id := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"}).Map()["id"].(string)
	devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"on_needs_reconnect": "hold"}), 200, "")
	devtest.Want(t, c.Do("POST", "/api/schedules/run?id="+id, nil), 202, "")
	var h struct {
		Runs []struct{ Status string } `json:"runs"`
	}
	devtest.Eventually(t, "the run is held", func() bool {
		c.Do("GET", "/api/schedules/runs?id="+id, nil).JSON(&h)
		return len(h.Runs) == 1 && h.Runs[0].Status == "held"
	})
	connectDemo(t, c)
	devtest.WaitMail(t, me, func(m devtest.Mail) bool { return strings.HasPrefix(m.Subject, "Your Metriqs report") })
	devtest.Eventually(t, "the run is sent", func() bool {
		c.Do("GET", "/api/schedules/runs?id="+id, nil).JSON(&h)
		return len(h.Runs) == 1 && h.Runs[0].Status == "sent"
	})
}
