package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// The whole product, as a customer uses it: sign up → turn on 2FA → sign out → sign in with
// a code → connect the sandbox → request a report → see KPI cards and a chart → download the
// CSV → create a schedule → sign out another session → export the data → delete the account
// → the session is gone.
func TestMainFlow(t *testing.T) {
	t.Parallel()
	p := openTab(t)
	email := newEmail()
	p.Visit("/signup")
	p.Fill("#email", email)
	p.Fill("#password", password)
	p.Click("#signup-form button[type=submit]")
	p.WaitAt("/app")

	// A second session elsewhere, made before 2FA so a plain password sign-in works.
	elsewhere := devtest.NewClient(t)
	devtest.Want(t, elsewhere.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": password}), http.StatusOK, "")

	totpCodes, _ := enableTwoFactor(t, p, password, "")
	p.SignOut()
	p.Fill("#email", email)
	p.Fill("#password", password)
	p.Click("#login-form button[type=submit]")
	p.WaitVisible("#mfa-step")
	p.Fill("#code", totpCodes.next())
	p.Click("#mfa-form button[type=submit]")
	p.WaitAt("/app")

	// Connect the sandbox: its consent page, then back with ?connected=demo.
	p.Visit("/app/integrations")
	p.Click(`[data-provider="demo"] [data-action="connect"]`)
	p.WaitPath("the sandbox's consent page", func(s string) bool { return strings.HasPrefix(s, "/api/sandbox/") })
	p.Click(`button[value="allow"]`)
	p.WaitPath("the integrations page", func(s string) bool { return strings.HasPrefix(s, "/app/integrations") })
	p.WaitVisible("#flash .notice-success")
	p.WaitVisible(`[data-provider="demo"][data-status="connected"]`)

	p.Visit("/app")
	p.Click("#new-report input[value=last_7_days]")
	p.Click("#new-report button[type=submit]")
	p.WaitPath("the new report", func(s string) bool { return strings.HasPrefix(s, "/app/reports/") })
	p.WaitVisible(".kpi") // the page refreshes by itself until the report is ready
	if n := p.Count(`section[aria-labelledby="sec-demo"] .kpi`); n == 0 {
		t.Fatal("no KPI card for the sandbox")
	}
	if n := p.Count(".chart svg path.chart-line"); n == 0 {
		t.Fatal("no chart")
	}
	// The comparison span is a second, dashed line, named in the legend in words; a rate
	// changes in percentage points.
	if n := p.Count(".chart svg path.chart-line-previous"); n == 0 {
		t.Fatal("no comparison line")
	}
	if got := p.Text(".chart-legend"); !strings.Contains(got, "Period before (dashed)") {
		t.Fatalf("legend reads %q", got)
	}
	if got := p.Text(`[data-metric="conversion_rate"] .badge [aria-hidden]`); !strings.HasSuffix(got, " pp") {
		t.Fatalf("conversion rate change reads %q, want percentage points", got)
	}
	name, csv := p.WaitDownload(func() { p.Click(`a[href*="format=csv"]`) })
	if !strings.HasSuffix(name, ".csv") || !strings.Contains(string(csv), ",") || !strings.Contains(string(csv), "demo") {
		t.Fatalf("CSV %q: %q", name, csv)
	}

	p.Visit("/app/schedules")
	p.Select("#weekday", "1")
	p.Select("#hour", "8")
	p.Click("#new-schedule button[type=submit]")
	p.WaitVisible("#schedules .schedule")
	if got := p.Text("#schedules .schedule-title"); !strings.HasPrefix(got, "Every Monday at 08:00") {
		t.Fatalf("the schedule reads %q", got)
	}

	// Sign out the other session from Settings › Security.
	p.Visit("/app/settings")
	p.WaitFor("two sessions", `document.querySelectorAll('#sessions-table tbody tr').length === 2`)
	p.Click("#sessions-table tr[data-current='false'] button")
	p.WaitFor("one session left", `document.querySelectorAll('#sessions-table tbody tr').length === 1`)
	devtest.Want(t, elsewhere.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")

	name, export := p.WaitDownload(func() { p.Click("#export") })
	if !strings.HasSuffix(name, ".json") || !json.Valid(export) || !strings.Contains(string(export), email) {
		t.Fatalf("export %q: %.200s", name, export)
	}

	p.Fill("#delete-password", password)
	p.Fill("#delete-code", totpCodes.next())
	p.Click("#delete-form input[name=confirm]")
	p.Click("#delete-form button[type=submit]")
	p.WaitVisible("#deleted")
	if by := p.Text("#purge-by"); by == "" {
		t.Fatal("no purge date shown")
	}

	// The session is gone: the app sends the browser to sign in, and the account cannot.
	p.Visit("/app")
	p.WaitAt("/login?next=%2Fapp")
	p.Fill("#email", email)
	p.Fill("#password", password)
	p.Click("#login-form button[type=submit]")
	p.WaitVisible("#login-form .form-error")
}
