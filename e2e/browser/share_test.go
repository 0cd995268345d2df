package browser

import (
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// A share link made on the report page opens in a fresh browser with no cookie and shows the
// report; the owner sees its view counted; revoked, the link shows the page for a link that no
// longer works. A partial report's failed section keeps its notice for the viewer, without the
// owner's reconnect link.
func TestShareLinkFromReportPage(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	reportPath := "/app/reports/" + demoReport(p)

	p.WaitVisible("#share-none")
	p.Select("#share-expires", "7")
	p.Click("#share-form button[type=submit]")
	p.WaitVisible("#share-url")
	p.WaitVisible("#share-list tr[data-share]")
	link, err := url.Parse(Eval[string](p, `document.querySelector('#share-url').value`))
	if err != nil || link.Path != "/shared" || len(link.Fragment) < 40 {
		t.Fatalf("share url %v (%v)", link, err)
	}

	v := openTab(t) // a browser of its own: no session cookie
	v.Visit(link.Path + "#" + link.Fragment)
	v.WaitVisible(`section[aria-labelledby="sec-demo"] .kpi`)
	if c := Eval[string](v, `document.cookie`); c != "" {
		t.Fatalf("the viewer holds cookies %q", c)
	}
	if got := Eval[string](v, `document.querySelector('meta[name=robots]').content`); got != "noindex, nofollow" {
		t.Fatalf("robots meta %q", got)
	}
	if n := v.Count(`a[href="/app/integrations"]`); n != 0 {
		t.Fatalf("the viewer sees %d links into the owner's app", n)
	}

	p.Visit(reportPath)
	p.WaitFor("one view counted", `document.querySelector('#share-list [data-views]')?.dataset.views === '1'`)
	p.Click(`#share-list [data-action="revoke"]`)
	p.WaitVisible("dialog[open]")
	p.Click("dialog[open] button[value=yes]")
	p.WaitVisible("#share-none")

	v.Visit("/") // the same URL again would only move to its fragment, not load the page
	v.Visit(link.Path + "#" + link.Fragment)
	v.WaitVisible("#share-gone")
}

// The viewer shows a partial report's failed section with its reason, and asks for the
// password of a protected link, saying when it is wrong.
func TestSharedViewerStates(t *testing.T) {
	t.Parallel()
	v := openTab(t)
	var posts atomic.Int32
	v.Intercept("*/api/shared*", func(method string, _ *url.URL, body string) *reply {
		posts.Add(1)
		switch {
		case !strings.Contains(body, `"password"`):
			return jsonReply(401, map[string]any{"error": map[string]string{"code": "password_required", "message": "This report is protected by a password."}})
		case strings.Contains(body, `"password":"wrong"`):
			return jsonReply(401, map[string]any{"error": map[string]string{"code": "invalid_password", "message": "That password is not right."}})
		}
		return &reply{Status: 200, Type: "application/json", Body: reportFixture}
	})
	v.Visit("/shared#" + strings.Repeat("A", 43))
	v.WaitVisible("#share-unlock")
	v.Fill("#share-password", "wrong")
	v.Click("#share-unlock button[type=submit]")
	v.WaitVisible("#share-unlock .form-error")
	v.Fill("#share-password", "right one")
	v.Click("#share-unlock button[type=submit]")
	v.WaitVisible(".kpi")
	gh := v.Text("section[aria-labelledby='sec-github'] .notice")
	if !strings.Contains(gh, "access was revoked") || v.Count("section[aria-labelledby='sec-github'] a") != 0 {
		t.Fatalf("the failed section reads %q, with %d links", gh, v.Count("section[aria-labelledby='sec-github'] a"))
	}
	if got := v.Text(".notice-warn"); !strings.Contains(got, "could not be included") {
		t.Fatalf("the partial report's notice reads %q", got)
	}
	if posts.Load() != 3 {
		t.Fatalf("%d calls to /api/shared, want 3", posts.Load())
	}
}

// demoReport connects the demo source and makes a report of the last 7 days on the
// dashboard, as a user would; it returns the report's id once the report page shows its KPIs.
func demoReport(p *Tab) string {
	p.t.Helper()
	connectDemoIn(p)
	p.Visit("/app")
	p.Click("#new-report input[value=last_7_days]")
	p.Click("#new-report button[type=submit]")
	path := p.WaitPath("the new report", func(s string) bool { return strings.HasPrefix(s, "/app/reports/") })
	p.WaitVisible(".kpi") // the page refreshes by itself until the report is ready
	return strings.TrimPrefix(path, "/app/reports/")
}
