package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// On the Schedules page, against the dev server: a new schedule goes to its owner and says
// that no integration is connected; Edit adds a recipient (shown with who added them), a bad
// address is refused beside the field with nothing changed, and Pause / Resume stop and
// restart the schedule — each checked in the API too.
func TestScheduleEditRecipientsAndPause(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.confirmAddress(a) // other recipients need the owner's confirmed address (403 email_unverified)
	p.Visit("/app/schedules")
	p.WaitVisible("#schedules .empty")
	p.Select("#weekday", "1")
	p.Select("#hour", "8")
	p.Click("#new-schedule button[type=submit]")
	p.WaitVisible("#schedules .schedule")
	if got := p.Text("#schedules .schedule .notice-warn"); !strings.Contains(got, "integrations are disconnected") {
		t.Errorf("the no-sources warning reads %q", got)
	}
	if got := p.Text("#schedules .recipients"); !strings.Contains(got, a.Email) || !strings.Contains(got, "(you)") {
		t.Errorf("recipients read %q", got)
	}

	p.Click("#schedules .schedule [data-edit]")
	p.Fill("#schedules .edit-schedule textarea", a.Email+", client@Example.COM")
	p.Click("#schedules .edit-schedule button[type=submit]")
	p.WaitFor("two recipients", `document.querySelectorAll('#schedules .recipients li').length === 2`)
	if got := p.Text(`#schedules [data-recipient="client@example.com"]`); !strings.Contains(got, "added by") {
		t.Errorf("the new recipient reads %q", got)
	}
	wantSchedule(t, a, func(sc apiSchedule) bool {
		return len(sc.Recipients) == 2 && sc.Recipients[1] == "client@example.com" && !sc.Paused
	})

	p.Click("#schedules .schedule [data-edit]")
	p.Fill("#schedules .edit-schedule textarea", "not an address")
	p.Click("#schedules .edit-schedule button[type=submit]")
	p.WaitVisible("#schedules .edit-schedule .field-error")
	wantSchedule(t, a, func(sc apiSchedule) bool { return len(sc.Recipients) == 2 })

	p.Click("#schedules .schedule [data-pause]")
	p.WaitVisible("#schedules .schedule [data-paused]")
	wantSchedule(t, a, func(sc apiSchedule) bool { return sc.Paused && sc.NextRunAt == "0001-01-01T00:00:00Z" })
	p.A11y()
	p.Click("#schedules .schedule [data-pause]")
	p.WaitGone("#schedules .schedule [data-paused]")
	wantSchedule(t, a, func(sc apiSchedule) bool { return !sc.Paused && sc.NextRunAt != "0001-01-01T00:00:00Z" })

	// With an integration connected the warning goes; "Send a test to me" mails the owner
	// alone and the run shows in the card with each recipient's outcome.
	connectDemoIn(p)
	p.Visit("/app/schedules")
	p.WaitVisible("#schedules .schedule")
	if n := p.Count("#schedules .schedule .notice-warn"); n != 0 {
		t.Errorf("%d warnings with the demo connected", n)
	}
	p.Click(`#schedules .schedule button[aria-label^="Send a test"]`)
	devtest.WaitMail(t, a.Email, func(m devtest.Mail) bool { return strings.Contains(m.Subject, "report") })
	p.WaitFor("the test run's outcome", `[...document.querySelectorAll('#schedules [data-run] li')].some((li) => li.textContent.includes(': Sent'))`)
	if got := p.Text("#schedules .run-list"); !strings.Contains(got, a.Email) || strings.Contains(got, "client@example.com") {
		t.Errorf("the test run reads %q", got)
	}
}

type apiSchedule struct {
	Recipients []string `json:"recipients"`
	Paused     bool     `json:"paused"`
	NextRunAt  string   `json:"next_run_at"`
}

// wantSchedule checks the account's only schedule as the API returns it.
func wantSchedule(t *testing.T, a *account, ok func(apiSchedule) bool) {
	t.Helper()
	r := a.HTTP.Do("GET", "/api/schedules", nil)
	devtest.Want(t, r, http.StatusOK, "")
	var body struct {
		Schedules []apiSchedule `json:"schedules"`
	}
	r.JSON(&body)
	if len(body.Schedules) != 1 || !ok(body.Schedules[0]) {
		t.Fatalf("schedules = %s", r.Body)
	}
}
