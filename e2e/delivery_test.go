package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/ids"
)

// Through the dev server and its mailbox: a schedule with a guest, "Send now" → run-schedule →
// generate-report → deliver-run → send-email; both get the report with RFC 8058 headers and
// the CSV; the guest's one-click POST (no cookie) unsubscribes at once: the next run skips
// them and the history says so; every key is in the user's index and goes with the account.
func TestDeliveryEndToEnd(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	me, userID := u["email"].(string), u["id"].(string)
	verifyAddress(t, me)
	guest := "guest-" + ids.New()[:10] + "@example.com"
	connectDemo(t, c)
	id := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"}).Map()["id"].(string)
	devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"recipients": []string{me, guest}}), 200, "")
	r := c.Do("POST", "/api/schedules/run?id="+id, nil)
	devtest.Want(t, r, 202, "")
	isReport := func(m devtest.Mail) bool { return strings.HasPrefix(m.Subject, "Your Metriqs report") }
	g := devtest.WaitMail(t, guest, isReport)
	o := devtest.WaitMail(t, me, isReport)
	lu := strings.Trim(strings.Join(g.Headers["List-Unsubscribe"], ""), "<>")
	if !strings.Contains(lu, "/api/unsubscribe?token=") || strings.Join(g.Headers["List-Unsubscribe-Post"], "") != "List-Unsubscribe=One-Click" {
		t.Fatalf("guest's headers: %v", g.Headers)
	}
	if !strings.Contains(g.Text, "added you") || len(g.Attachments) != 1 || !strings.Contains(o.HTML, "/app/reports/") {
		t.Fatalf("guest's e-mail:\n%s\nattachments %d; owner's:\n%s", g.Text, len(g.Attachments), o.HTML)
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := plain.Get(lu)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(body), `method="post"`) || !strings.Contains(string(body), guest) {
		t.Fatalf("confirm page: %s\n%s", page.Status, body)
	}
	// A GET (a mail scanner following links) unsubscribes no one.
	if un := c.Do("GET", "/api/schedules/runs?id="+id, nil).Map()["unsubscribed"].([]any); len(un) != 0 {
		t.Fatalf("after the GET: unsubscribed %v", un)
	}
	res, err := plain.Post(lu, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("one-click POST: %s", res.Status)
	}
	devtest.Want(t, c.Do("POST", "/api/schedules/run?id="+id, nil), 202, "")
	devtest.WaitMail(t, me, func(m devtest.Mail) bool { return isReport(m) && m.ID != o.ID })
	var h struct {
		Runs []struct {
			Status     string `json:"status"`
			Recipients []struct{ Email, Status string }
		} `json:"runs"`
		Unsubscribed []struct{ Email string } `json:"unsubscribed"`
	}
	devtest.Eventually(t, "the second run settles", func() bool {
		c.Do("GET", "/api/schedules/runs?id="+id, nil).JSON(&h)
		return len(h.Runs) == 2 && h.Runs[0].Status == "sent"
	})
	if len(h.Unsubscribed) != 1 || h.Unsubscribed[0].Email != guest || h.Runs[0].Recipients[1].Status != "unsubscribed" || h.Runs[1].Recipients[1].Status != "sent" {
		t.Fatalf("history = %+v", h)
	}
	if n := len(devtest.Mails(t, guest)); n != 1 {
		t.Fatalf("the unsubscribed guest has %d e-mails", n)
	}
	wantIndexInvariant(t, userID, me)
	devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), 202, "")
	awaitQStash(t)
	wantGone(t, userID, me)
	_ = time.Second
}
