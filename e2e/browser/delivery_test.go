package browser

import (
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// isReportMail tells a report e-mail (lib/delivery/reportmail) from the account's other mail.
func isReportMail(m devtest.Mail) bool { return strings.HasPrefix(m.Subject, "Your Metriqs report") }

// Delivery end to end in Chromium: the owner (address confirmed through the mailbox) has a
// schedule with a guest and presses Send now; the guest's e-mail opens in the local mailbox,
// its share link shows the report in a browser with no cookie, its unsubscribe link shows the
// confirm page and the button unsubscribes; the owner's Schedules page shows the run as sent
// and the guest as unsubscribed.
func TestDeliveryThroughTheMailbox(t *testing.T) {
	t.Parallel()
	// Not hedy@: TestTwoFactorFromSettingsThenSignInWithACode signs that address up.
	a := newAccountAs(t, "mary@example.com")
	guest := "lin@client.example" // this test's alone (the screenshots show it)
	p := openTab(t)
	p.adopt(a)
	p.confirmAddress(a)
	connectDemoIn(p)
	scheduleWithGuest(t, a, guest)

	p.Visit("/app/schedules")
	p.WaitVisible("#schedules .schedule")
	p.Click(`#schedules .schedule button[aria-label^="Send the schedule"]`)
	m := devtest.WaitMail(t, guest, isReportMail)

	g := openTab(t) // the guest's browser: no session cookie
	g.Visit("/_dev/mail/m/" + m.ID)
	g.WaitVisible(`iframe[title="HTML part"]`)
	g.Screenshot("report-email", true)
	g.Click(`ul.links a[href^="` + devtest.Server.URL + `/shared#"]`)
	g.WaitAt("/shared")
	g.WaitVisible(`section[aria-labelledby="sec-demo"] .kpi`)
	if c := Eval[string](g, `document.cookie`); c != "" {
		t.Fatalf("the guest holds cookies %q", c)
	}

	g.Visit("/_dev/mail/m/" + m.ID)
	g.Click(`ul.links a[href^="` + devtest.Server.URL + `/api/unsubscribe?token="]`)
	g.WaitVisible(`form[method="post"] button[type=submit]`)
	if got := g.Text("body"); !strings.Contains(got, "Unsubscribe?") || !strings.Contains(got, guest) {
		t.Fatalf("the confirm page reads %q", got)
	}
	g.Click(`form[method="post"] button[type=submit]`)
	g.WaitFor("the unsubscribed page", `document.querySelector('h1')?.textContent === 'You are unsubscribed'`)

	p.Visit("/app/schedules")
	p.WaitFor("the run sent", `(document.querySelector('#schedules .run-list > li')?.textContent || '').includes('sent')`)
	p.WaitVisible(`#schedules [data-unsub-for="` + guest + `"] .badge`)
	if got := p.Text("#schedules .run-list"); !strings.Contains(got, a.Email+": Sent") || !strings.Contains(got, guest+": Sent") {
		t.Errorf("the run history reads %q", got)
	}
	p.Screenshot("run-history", true)
}

// confirmAddress confirms a's address with the link its signup mailed, from the local
// mailbox: only a confirmed owner may add recipients other than themselves.
func (p *Tab) confirmAddress(a *account) {
	p.t.Helper()
	p.followMail(mailWithSubject(p.t, a.Email, subjectVerify), "/verify-email")
	p.Click("#token-form button[type=submit]")
	p.waitNotice("Your address is confirmed.")
}

// connectDemoIn connects the demo source through the Integrations page and its sandbox.
func connectDemoIn(p *Tab) {
	p.t.Helper()
	p.Visit("/app/integrations")
	p.Click(`[data-provider="demo"] [data-action="connect"]`)
	p.WaitPath("the sandbox's consent page", func(s string) bool { return strings.HasPrefix(s, "/api/sandbox/") })
	p.Click(`button[value="allow"]`)
	p.WaitVisible(`[data-provider="demo"][data-status="connected"]`)
}

// scheduleWithGuest makes a's schedule (over HTTP: the page's form is another test's) going to
// a and guest.
func scheduleWithGuest(t *testing.T, a *account, guest string) {
	t.Helper()
	r := a.HTTP.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"})
	devtest.Want(t, r, 201, "")
	id, _ := r.Map()["id"].(string)
	devtest.Want(t, a.HTTP.Do("PATCH", "/api/schedules?id="+id, map[string]any{"recipients": []string{a.Email, guest}}), 200, "")
}
