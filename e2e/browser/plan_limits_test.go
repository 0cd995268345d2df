package browser

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/plan"
)

// The integrations page says "N of M integrations" before the limit is hit. At the Free
// plan's limit the connect buttons of providers not connected yet are disabled and a
// reconnect stays enabled; a connect that still meets the 402 (the count changed in another
// tab) shows the API's message and the limit as it is now. The integrations and usage are
// fixtures: the local server can connect only the demo provider.
func TestIntegrationsLimitShownBeforeHit(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	free := plan.Default()
	var mu sync.Mutex
	used := free.Limits.Integrations - 1
	p.Intercept("*/api/*", func(method string, u *url.URL, _ string) *reply {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case method == "GET" && u.Path == "/api/integrations":
			return jsonReply(200, map[string]any{"integrations": []map[string]any{
				{"provider": "demo", "name": "Demo", "status": "connected", "chooses": ""},
				{"provider": "github", "name": "GitHub", "status": "needs_reauth", "chooses": ""},
				{"provider": "stripe", "name": "Stripe", "status": "not_connected", "test_mode": true},
			}})
		case method == "GET" && u.Path == "/api/billing":
			return jsonReply(200, map[string]any{"plan": free.ID, "plan_name": free.Name, "limits": free.Limits,
				"usage": map[string]int{"integrations": used}, "plans": []any{}, "invoices": []any{}})
		case method == "POST" && u.Path == "/api/integrations/connect":
			return jsonReply(402, map[string]any{"error": map[string]string{"code": "plan_limit", "field": "integrations",
				"message": "Your Free plan allows 2 connected integrations. Upgrade to Pro in Settings › Billing for up to 10."}})
		}
		return nil
	})
	p.Visit("/app/integrations")
	p.WaitFor("the limit note", `document.querySelector('#limit-integrations')?.dataset.full === 'false'`)
	if got := p.Text("#limit-integrations"); !strings.Contains(got, "1 of 2 integrations on the Free plan") {
		t.Fatalf("below the limit: %q", got)
	}
	wantDisabled(t, p, `[data-provider=stripe] [data-action=connect]`, false)

	mu.Lock()
	used = free.Limits.Integrations // connected in another tab
	mu.Unlock()
	p.Click(`[data-provider=stripe] [data-action=connect]`)
	p.WaitFor("the 402's message", `document.querySelector('#flash')?.textContent.includes("allows 2 connected integrations")`)
	p.WaitFor("the limit note at the limit", `document.querySelector('#limit-integrations')?.dataset.full === 'true'`)
	atLimit(t, p)

	p.Visit("/app/integrations") // at the limit from the start
	p.WaitFor("the limit note at the limit", `document.querySelector('#limit-integrations')?.dataset.full === 'true'`)
	atLimit(t, p)
	p.A11y()
}

// atLimit checks the integrations page at the Free plan's limit.
func atLimit(t *testing.T, p *Tab) {
	t.Helper()
	if got := p.Text("#limit-integrations"); !strings.Contains(got, "2 of 2 integrations on the Free plan — upgrade in Settings › Billing") ||
		p.Count(`#limit-integrations a[href="/app/settings#billing"]`) != 1 {
		t.Fatalf("at the limit: %q", got)
	}
	wantDisabled(t, p, `[data-provider=stripe] [data-action=connect]`, true)
	wantDisabled(t, p, `[data-provider=stripe] [data-action=connect-test]`, true)
	wantDisabled(t, p, `[data-provider=github] [data-action=connect]`, false) // reconnect
}

func wantDisabled(t *testing.T, p *Tab, sel string, want bool) {
	t.Helper()
	if got := Eval[bool](p, `document.querySelector('`+sel+`').disabled`); got != want {
		t.Fatalf("%s disabled %v, want %v", sel, got, want)
	}
}

// The report page's Share panel on the Free plan, against the local server: "2 of 3 share
// links" with Create enabled; a link made elsewhere takes the last place, so the click meets
// the 402, whose message is shown, and the panel then says "3 of 3" with Create disabled;
// revoking a link enables it again.
func TestShareLinksLimitShownBeforeHit(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	report := demoReport(p)
	free := plan.Default().Limits.ShareLinks
	for range free - 1 {
		devtest.Want(t, a.HTTP.Do("POST", "/api/shares", map[string]any{"report_id": report}), 201, "")
	}
	p.Visit("/app/reports/" + report)
	p.WaitFor("the limit note", `document.querySelector('#limit-share_links')?.dataset.full === 'false'`)
	if got := p.Text("#limit-share_links"); !strings.Contains(got, "2 of 3 share links on the Free plan") {
		t.Fatalf("below the limit: %q", got)
	}
	wantDisabled(t, p, "#share-form button[type=submit]", false)

	devtest.Want(t, a.HTTP.Do("POST", "/api/shares", map[string]any{"report_id": report}), 201, "") // another tab
	p.Click("#share-form button[type=submit]")
	p.WaitFor("the 402's message", `document.querySelector('#share-form .form-error')?.textContent.includes('3 share links')`)
	p.WaitFor("the limit note at the limit", `document.querySelector('#limit-share_links')?.dataset.full === 'true'`)
	if got := p.Text("#limit-share_links"); !strings.Contains(got, "3 of 3 share links on the Free plan — upgrade in Settings › Billing") {
		t.Fatalf("at the limit: %q", got)
	}
	wantDisabled(t, p, "#share-form button[type=submit]", true)
	if n := p.Count("#share-list tr[data-share]"); n != free {
		t.Fatalf("%d links listed, want %d", n, free)
	}

	p.Click(`#share-list [data-action="revoke"]`)
	p.WaitVisible("dialog[open]")
	p.Click("dialog[open] button[value=yes]")
	p.WaitFor("room again", `document.querySelector('#limit-share_links')?.dataset.full === 'false'`)
	wantDisabled(t, p, "#share-form button[type=submit]", false)
}

// The schedules page counts the recipients typed against the plan's recipients per schedule
// before anything is sent, as the API counts them (each address once, the owner's not at
// all): "3 of 3 other addresses on the Free plan" keeps Create enabled, a fourth disables it
// and says how to get room. The card's edit form does the same, the owner's address in it
// not counting. Against the local server: the limits are GET /api/billing's.
func TestRecipientsLimitShownBeforeHit(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	devtest.Want(t, a.HTTP.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"}), 201, "")
	p := openTab(t)
	p.adopt(a)
	max := plan.Default().Limits.RecipientsPerSchedule
	p.Visit("/app/schedules")
	p.WaitFor("the recipients count", `document.querySelector('#recipients-hint')?.dataset.recipients === '0'`)
	if got := p.Text("#recipients-hint"); !strings.Contains(got, "0 of 3 other addresses on the Free plan") {
		t.Fatalf("empty: %q", got)
	}
	others := []string{"ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"}
	p.Fill("#recipients", strings.ToUpper(a.Email)+", "+strings.Join(others[:max], ", ")+" ANN@example.com")
	p.WaitFor("three counted", `document.querySelector('#recipients-hint').dataset.recipients === '3'`)
	wantDisabled(t, p, "#new-schedule button[type=submit]", false)
	p.Fill("#recipients", strings.Join(others, " "))
	p.WaitFor("over the limit", `document.querySelector('#recipients-hint').dataset.over === 'true'`)
	if got := p.Text("#recipients-hint"); !strings.Contains(got, "4 of 3 other addresses on the Free plan — remove 1, or upgrade in Settings › Billing") ||
		p.Count(`#recipients-hint a[href="/app/settings#billing"]`) != 1 {
		t.Fatalf("over: %q", got)
	}
	wantDisabled(t, p, "#new-schedule button[type=submit]", true)
	p.Fill("#recipients", strings.Join(others[1:], " "))
	p.WaitFor("room again", `document.querySelector('#recipients-hint').dataset.over === 'false'`)
	wantDisabled(t, p, "#new-schedule button[type=submit]", false)

	p.Click("[data-schedule] [data-edit]")
	hint := ".edit-schedule .hint"
	p.WaitFor("the edit form's count", `document.querySelector('`+hint+`')?.dataset.recipients === '0'`)
	if got := p.Text(hint); !strings.Contains(got, "You and 0 of 3 other addresses on the Free plan") {
		t.Fatalf("edit form: %q", got)
	}
	p.Fill(".edit-schedule textarea", a.Email+" "+strings.Join(others, " "))
	p.WaitFor("over in the edit form", `document.querySelector('`+hint+`').dataset.over === 'true'`)
	wantDisabled(t, p, ".edit-schedule button[type=submit]", true)
	p.A11y()
}

// The New report form says how many reports are left this month and disables Create at the
// limit; after a downgrade that left more integrations connected than one report may read,
// it says so and how to get out. A click that still meets the 402 (another tab took the last
// report) shows the API's message and the count as it is now. Usage is a fixture.
func TestReportLimitsShownBeforeHit(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	free := plan.Default()
	var mu sync.Mutex
	usage := map[string]int{"reports_per_month": free.Limits.ReportsPerMonth - 1, "integrations": 1}
	set := func(k string, v int) { mu.Lock(); usage[k] = v; mu.Unlock() }
	p.Intercept("*/api/*", func(method string, u *url.URL, _ string) *reply {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case method == "GET" && u.Path == "/api/billing":
			return jsonReply(200, map[string]any{"plan": free.ID, "plan_name": free.Name, "limits": free.Limits,
				"usage": usage, "plans": []any{}, "invoices": []any{}})
		case method == "POST" && u.Path == "/api/reports":
			return jsonReply(402, map[string]any{"error": map[string]string{"code": "plan_limit", "field": "reports_per_month",
				"message": "Your Free plan allows 60 reports a month. Upgrade to Pro in Settings › Billing for up to 500."}})
		}
		return nil
	})
	p.Visit("/app")
	p.WaitFor("the month's count", `document.querySelector('#limit-reports')?.dataset.full === 'false'`)
	if got := p.Text("#limit-reports"); got != "Reports this month: 59 of 60 on the Free plan." {
		t.Fatalf("below the limit: %q", got)
	}
	wantDisabled(t, p, "#new-report button[type=submit]", false)

	set("reports_per_month", free.Limits.ReportsPerMonth) // another tab took the last one
	p.Click("#new-report button[type=submit]")
	p.WaitFor("the 402's message", `document.querySelector('#new-report .form-error')?.textContent.includes('60 reports a month')`)
	p.WaitFor("the count at the limit", `document.querySelector('#limit-reports').dataset.full === 'true'`)
	if got := p.Text("#limit-reports"); !strings.Contains(got, "Reports this month: 60 of 60 on the Free plan — upgrade in Settings › Billing") ||
		p.Count(`#limit-reports a[href="/app/settings#billing"]`) != 1 {
		t.Fatalf("at the limit: %q", got)
	}
	wantDisabled(t, p, "#new-report button[type=submit]", true)

	set("reports_per_month", 0)
	set("integrations", free.Limits.SourcesPerReport+1) // connected on Pro, then downgraded
	p.Visit("/app")
	p.WaitFor("the sources note", `document.querySelector('#limit-reports')?.dataset.sources === 'true'`)
	if got := p.Text("#limit-reports"); !strings.Contains(got, "A report would read your 4 connected integrations; the Free plan allows 3 in one.") ||
		p.Count(`#limit-reports a[href="/app/integrations"]`) != 1 {
		t.Fatalf("too many sources: %q", got)
	}
	wantDisabled(t, p, "#new-report button[type=submit]", true)
	p.A11y()
}
