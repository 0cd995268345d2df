package browser

import (
	_ "embed"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Fixtures in the shapes of docs/API.md and docs/metrics.md, with every state a page must
// draw: a partial report with a failed section, a metric where lower is better, a change
// from zero, a snapshot metric, money, percentages and positions; integrations connected,
// disconnected and in need of reconnecting.
var (
	//go:embed testdata/report.json
	reportFixture []byte
	//go:embed testdata/integrations.json
	integrationsFixture []byte
	//go:embed testdata/choices-ga4.json
	choicesFixture []byte
)

// The report page draws every part of a report: KPI cards with change badges coloured by
// whether up is good, a chart per series with a hover and keyboard read-out, the top-N
// tables, a failed section's reason with a reconnect link, the CSV link; it refreshes by
// itself while the report is running, and prints without the app's chrome.
func TestReportPageDrawsEveryPartOfAReport(t *testing.T) {
	t.Parallel()
	a := newAccountAs(t, "grace@example.com")
	p := openTab(t)
	p.adopt(a)
	p.confirmAddress(a) // the screenshot shows the report, not the "confirm your address" banner

	var gets atomic.Int32
	// One pattern for both: a second Intercept would replace the first one's.
	p.Intercept("*fixture-report*", func(method string, u *url.URL, _ string) *reply {
		switch {
		case u.Path == "/api/shares": // the Share panel's list: none yet
			return jsonReply(200, map[string]any{"shares": []any{}})
		case u.Path != "/api/reports/fixture-report":
			return nil // the page itself
		case method == "GET" && u.Query().Get("format") == "csv":
			return &reply{Status: 200, Type: "text/csv; charset=utf-8", Body: []byte("provider,metric,value\n")}
		case method == "GET" && gets.Add(1) == 1:
			// First answer: still running, so the page must check again by itself.
			return jsonReply(200, map[string]any{"id": "fixture-report", "title": "Oct 31 – Nov 27, 2026", "status": "running",
				"period":     map[string]string{"start": "2026-10-31", "end": "2026-11-27", "previous_start": "2026-10-03", "previous_end": "2026-10-30"},
				"created_at": "2026-11-28T08:00:02Z", "completed_at": nil, "sections": []any{}})
		case method == "GET":
			return &reply{Status: 200, Type: "application/json", Body: reportFixture}
		}
		return nil
	})
	p.Visit("/app/reports/fixture-report")
	p.WaitVisible(".progress-panel")
	p.WaitVisible(".kpi") // the page polled and drew the finished report
	if n := gets.Load(); n < 2 {
		t.Fatalf("the report was read %d times", n)
	}

	var fx struct {
		Sections []struct {
			Metrics []json.RawMessage `json:"metrics"`
			Series  []json.RawMessage `json:"series"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(reportFixture, &fx); err != nil {
		t.Fatal(err)
	}
	wantKPIs, wantCharts, wantCompared := 0, 0, 0
	for _, s := range fx.Sections {
		wantKPIs += len(s.Metrics)
		wantCharts += len(s.Series)
		for _, se := range s.Series {
			var v struct{ Previous []json.RawMessage }
			if json.Unmarshal(se, &v) == nil && len(v.Previous) > 0 {
				wantCompared++
			}
		}
	}
	if got := p.Count(".kpi"); got != wantKPIs {
		t.Fatalf("%d KPI cards, want %d", got, wantKPIs)
	}
	if got := p.Count(".chart svg path.chart-line"); got != wantCharts {
		t.Fatalf("%d charts, want %d", got, wantCharts)
	}
	// compare=previous_period: each chart with the earlier span draws it as a dashed second
	// line, and its legend names both lines in words.
	if got := p.Count(".chart svg path.chart-line-previous"); got != wantCompared || wantCompared == 0 {
		t.Errorf("%d comparison lines, want %d", got, wantCompared)
	}
	if got := p.Text(".chart .chart-legend"); !strings.Contains(got, "Period before (dashed)") {
		t.Errorf("the chart legend reads %q", got)
	}
	// Each legend entry is a 24 px sample of its stroke beside its words, on one line (the
	// chart's own "svg 100 % wide" rule must not stretch the samples).
	if w := Eval[[]float64](p, `[...document.querySelectorAll('.chart-key')].map((k) => k.getBoundingClientRect().width)`); len(w) == 0 || slices.Max(w) > 24 {
		t.Errorf("legend samples %v px wide, want 24", w)
	}
	if hs := Eval[[]float64](p, `[...document.querySelectorAll('.chart-legend li')].map((li) => li.getBoundingClientRect().height)`); len(hs) == 0 || slices.Max(hs) > 30 {
		t.Errorf("legend entries %v px tall: wrapped", hs)
	}
	if dash := Eval[string](p, `getComputedStyle(document.querySelector('.chart-line-previous')).strokeDasharray`); dash == "none" || dash == "" {
		t.Errorf("the comparison line is not dashed (stroke-dasharray %q)", dash)
	}
	badge := func(metric string) string {
		return Eval[string](p, `document.querySelector('[data-metric="`+metric+`"] .badge').className`)
	}
	for metric, want := range map[string]string{
		"active_users": "badge-good", // up, and up is good
		"new_users":    "badge-bad",  // down, and up is good
		"refunds_usd":  "badge-bad",  // up, and up is bad
		"position":     "badge-good", // down, and a lower position is better
	} {
		if got := badge(metric); !strings.Contains(got, want) {
			t.Errorf("%s badge has classes %q, want %s", metric, got, want)
		}
	}
	if got := p.Text(`[data-metric="new_customers"] .badge [aria-hidden]`); got != "New" {
		t.Errorf("a change from zero reads %q", got)
	}
	if got := p.Text(`[data-metric="gross_volume_usd"] .kpi-value`); got != "$84,210.50" {
		t.Errorf("gross volume reads %q", got)
	}
	if got := p.Text(`[data-metric="engagement_rate"] .kpi-value`); got != "61.4%" {
		t.Errorf("engagement rate reads %q", got)
	}

	// Each section says whose days it counts and why a figure may differ from the
	// provider's own pages (the notes also print: only .no-print parts are hidden).
	if got := p.Text("section[aria-labelledby='sec-google-analytics'] .section-zone"); got != "Days in America/New_York" {
		t.Errorf("GA4 zone line %q", got)
	}
	if got := p.Text("section[aria-labelledby='sec-stripe'] .section-zone"); got != "Days in Europe/Paris" {
		t.Errorf("Stripe zone line %q", got)
	}
	if got := p.Text("section[aria-labelledby='sec-search-console'] [data-note='search_console_data_lag']"); !strings.Contains(got, "2026-11-27") {
		t.Errorf("Search Console lag note %q", got)
	}
	if n := p.Count("section[aria-labelledby='sec-google-analytics'] .section-notes li"); n != 2 {
		t.Errorf("%d GA4 notes, want 2", n)
	}
	if got := p.Text("section[aria-labelledby='sec-google-analytics-2'] [data-note='ga4_thresholding']"); !strings.Contains(got, "data thresholds") {
		t.Errorf("the second property's thresholding note %q", got)
	}
	// A top list compared with the period before has a change column: ▲ from 38,000 to
	// 41,208 views; "New" from nothing.
	if n := p.Count("section[aria-labelledby='sec-google-analytics'] td[data-previous]"); n != 5 {
		t.Errorf("%d top pages with a change, want 5", n)
	}
	if got := p.Text("section[aria-labelledby='sec-google-analytics'] td[data-previous] [aria-hidden]"); !strings.HasPrefix(got, "▲") {
		t.Errorf("the first top page's change reads %q", got)
	}

	// The failed section says why and links to the integrations page.
	gh := p.Text("section[aria-labelledby='sec-github'] .notice")
	if !strings.Contains(gh, "access was revoked") {
		t.Errorf("the GitHub section says %q", gh)
	}
	if n := p.Count("section[aria-labelledby='sec-github'] a[href='/app/integrations']"); n != 1 {
		t.Errorf("%d reconnect links in the failed section", n)
	}
	p.WaitVisible("table caption")
	if got := p.Count(".table-card tbody tr"); got != 12 {
		t.Errorf("%d rows in the top tables, want 12", got)
	}
	// Every top list fits its card at desktop width, change column included (a wide one
	// takes the whole row rather than scrolling sideways inside half of it).
	if n := Eval[int](p, `[...document.querySelectorAll('.table-card .table-wrap')].filter((w) => w.scrollWidth > w.clientWidth + 1).length`); n != 0 {
		t.Errorf("%d top lists scroll sideways at 1280 px", n)
	}
	if got := p.Text("#share-none"); got != "No share links yet." {
		t.Errorf("the Share panel says %q", got)
	}
	wantHeadings := []string{"Google Analytics 4 · Acme Web", "Google Analytics 4 · Acme Docs",
		"Search Console · acme.example", "Stripe · acct_1Q8xKpL2mZ4vR7tY", "GitHub · acme/web, acme/api"}
	p.headingsAre("section[aria-labelledby^='sec-'] h2", wantHeadings)

	p.Screenshot("report", true)

	// Hover and keyboard read-outs.
	readout := ".chart-grid .chart .chart-readout"
	before := p.Text(readout)
	box := Eval[[]float64](p, `(() => { const r = document.querySelector('.chart svg').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	p.do(chromedp.MouseEvent(chromedp.MouseMoved, box[0]+box[2]*0.5, box[1]+box[3]*0.5))
	if hovered := p.Text(readout); hovered == before || !strings.Contains(hovered, " on ") {
		t.Errorf("hovering the chart reads %q (before: %q)", hovered, before)
	}
	p.do(chromedp.MouseEvent(chromedp.MouseMoved, 1, 1), chromedp.Focus(chromedp.CSS(".chart svg")), chromedp.KeyEvent(kb.Home))
	if got := p.Text(readout); !strings.Contains(got, "Oct 31") {
		t.Errorf("Home reads %q, want the first day", got)
	}
	p.do(chromedp.KeyEvent(kb.ArrowRight))
	if got := p.Text(readout); !strings.Contains(got, "Nov 1") {
		t.Errorf("ArrowRight reads %q, want the second day", got)
	}
	p.do(chromedp.Blur(chromedp.CSS(".chart svg")))

	// CSV download link.
	href := Eval[string](p, `document.querySelector('a[download][href*="format=csv"]').getAttribute('href')`)
	if href != "/api/reports/fixture-report?format=csv" {
		t.Errorf("CSV link = %q", href)
	}
	name, body := p.WaitDownload(func() { p.Click(`a[href*="format=csv"]`) })
	if !strings.HasSuffix(name, ".csv") || !strings.HasPrefix(string(body), "provider,") {
		t.Errorf("downloaded %q: %q", name, body)
	}

	p.A11y()

	// Printing hides the app's header, the buttons and the read-outs.
	call(p, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	hidden := Eval[[]string](p, `['.site-header', '.page-actions', '.chart-readout', '.site-footer'].map((s) => getComputedStyle(document.querySelector(s)).display)`)
	for i, d := range hidden {
		if d != "none" {
			t.Errorf("in print, element %d is displayed as %q", i, d)
		}
	}
	// The printed report still says what each section covers, its days and its notes.
	p.headingsAre("section[aria-labelledby^='sec-'] h2", wantHeadings)
	shown := Eval[[]string](p, `['.section-zone', '.section-notes', '.chart-line-previous', '.chart-legend'].map((s) => getComputedStyle(document.querySelector(s)).display)`)
	for i, d := range shown {
		if d == "none" {
			t.Errorf("in print, element %d is hidden", i)
		}
	}
	call(p, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})

	// Phone width: no horizontal scrolling of the page itself.
	p.viewport(375, 812, chromedp.EmulateMobile)
	if w := Eval[int](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("at 375 px the page is %d px wide", w)
	}
	// The phone screenshot: the page drawn at that width (charts size themselves on load),
	// scrolled to the Search Console section, whose name, note, cards and first chart (dashed
	// line included) fit in one phone screen.
	p.Visit("/app/reports/fixture-report")
	p.WaitVisible(".chart-line-previous")
	// The dates under a phone-sized chart do not run into each other.
	if bad := Eval[[]string](p, `[...document.querySelectorAll('.chart svg[role=img]')].flatMap((svg) => {
		const r = [...svg.querySelectorAll('text.chart-tick:not([dominant-baseline])')].map((t) => [t.textContent, t.getBoundingClientRect()]).sort((a, b) => a[1].left - b[1].left);
		return r.slice(1).map((b, i) => [r[i], b]).filter(([a, b]) => b[1].left < a[1].right + 2).map(([a, b]) => a[0] + ' / ' + b[0]);
	})`); len(bad) > 0 {
		t.Errorf("at 375 px, chart dates overlap: %q", bad)
	}
	p.ScreenshotFrom("report-mobile", "section[aria-labelledby='sec-search-console']")
	p.viewport(1280, 860)
}

// The integrations page shows each provider's state and the access it asks for in words;
// connect goes to the provider; disconnect asks first; ?connected= and ?error= after the
// OAuth redirect are explained.
func TestIntegrationsPageStates(t *testing.T) {
	t.Parallel()
	a := newAccountAs(t, "katherine@example.com")
	p := openTab(t)
	p.adopt(a)

	var posts sentLog
	p.Intercept("*/api/integrations*", func(method string, u *url.URL, body string) *reply {
		switch {
		case method == "GET" && u.Path == "/api/integrations":
			return &reply{Status: 200, Type: "application/json", Body: integrationsFixture}
		case method == "GET" && u.Path == "/api/integrations/choices" && u.Query().Get("provider") == "google-analytics":
			return &reply{Status: 200, Type: "application/json", Body: choicesFixture}
		case method == "GET" && u.Path == "/api/integrations/choices":
			return jsonReply(404, map[string]any{"error": map[string]string{"code": "not_found", "message": "Nothing to choose."}})
		case method == "POST" && u.Path == "/api/integrations/connect":
			posts.add("connect " + body)
			return jsonReply(200, map[string]string{"authorize_url": "/app/integrations?connected=stripe"})
		case method == "POST" && u.Path == "/api/integrations/disconnect":
			posts.add("disconnect " + body)
			return &reply{Status: 204}
		case method == "PUT" && u.Path == "/api/integrations/choices":
			posts.add("choices " + body)
			var in struct{ Selected []string }
			var c map[string]any
			_ = json.Unmarshal([]byte(body), &in)
			_ = json.Unmarshal(choicesFixture, &c)
			var picked []any
			for _, o := range c["choices"].([]any) {
				if o.(map[string]any)["id"] == in.Selected[0] {
					picked = append(picked, o)
				}
			}
			c["selected"] = picked
			return jsonReply(200, c)
		}
		return nil
	})

	p.Visit("/app/integrations?error=access_denied&provider=stripe")
	p.WaitVisible("#flash .notice-error")
	if got := p.Text("#flash"); !strings.Contains(got, "You cancelled at Stripe") {
		t.Errorf("after ?error=access_denied the page says %q", got)
	}
	p.WaitAt("/app/integrations") // the address bar is tidied
	p.WaitVisible(".integration")
	if n := p.Count(".integration"); n != 5 {
		t.Fatalf("%d providers shown", n)
	}
	if got := p.Text(`[data-provider="search-console"] [data-action="connect"]`); got != "Reconnect Search Console" {
		t.Errorf("needs_reauth offers %q", got)
	}
	if got := p.Text(`[data-provider="stripe"] .scope-list`); !strings.Contains(got, "monthly recurring revenue") {
		t.Errorf("Stripe's scopes read %q", got)
	}
	if got := p.Text(`[data-provider="google-analytics"] .scope-list`); !strings.Contains(got, "Read-only") {
		t.Errorf("GA4's scopes read %q", got)
	}
	p.WaitVisible(`[data-provider="google-analytics"] select[name="selected"]`)
	if got := Eval[string](p, `document.querySelector('[data-provider="google-analytics"] select').value`); got != "properties/311" {
		t.Errorf("the chosen property is %q", got)
	}
	p.A11y()
	p.Screenshot("integrations", false)

	// Choose another property.
	p.Select(`[data-provider="google-analytics"] select`, "properties/312")
	p.Click(`[data-provider="google-analytics"] .choose button[type=submit]`)
	p.WaitFor("saved", `document.querySelector('[data-provider="google-analytics"] .choose [role=status]').textContent === 'Saved.'`)
	if got := p.Text(`[data-provider="google-analytics"] [data-selected]`); got != "acme.example — staging" {
		t.Errorf("after saving, reporting on %q", got)
	}

	// Disconnect asks first; Cancel changes nothing.
	p.Click(`[data-provider="google-analytics"] [data-action="disconnect"]`)
	p.WaitVisible("dialog[open]")
	p.Click("dialog[open] button[value=no]")
	p.WaitGone("dialog")
	p.Click(`[data-provider="google-analytics"] [data-action="disconnect"]`)
	p.Click("dialog[open] button[value=yes]")
	p.WaitVisible("#flash .notice-success")

	// Connect goes to the provider's authorize URL (here straight back, as after consent).
	p.Click(`[data-provider="stripe"] [data-action="connect"]`)
	p.WaitFor("the connected message", `document.querySelector('#flash .notice-success') && document.querySelector('#flash').textContent.includes('Stripe is connected')`)

	posts.want(t,
		`choices {"provider":"google-analytics","selected":["properties/312"]}`,
		`disconnect {"provider":"google-analytics"}`,
		`connect {"provider":"stripe"}`,
	)
}

// The reports list shows each report's status in words and keeps checking while one is
// being made; "New report" sends a preset or a date range and opens the new report; an API
// error on a field is shown beside it.
func TestReportsListAndNewReport(t *testing.T) {
	t.Parallel()
	a := newAccountAs(t, "ada@example.com")
	p := openTab(t)
	p.adopt(a)

	var mu sync.Mutex
	var posts sentLog
	lists := 0
	row := func(id, title, status, created string, prev [2]string) map[string]any {
		return map[string]any{"id": id, "title": title, "status": status, "created_at": created,
			"period": map[string]string{"start": "", "end": "", "previous_start": prev[0], "previous_end": prev[1]}}
	}
	p.Intercept("*/api/reports*", func(method string, u *url.URL, body string) *reply {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case method == "GET" && u.Path == "/api/reports":
			lists++
			first := "running"
			if lists > 1 {
				first = "ready"
			}
			return jsonReply(200, map[string]any{"reports": []any{
				row("r4", "Nov 21 – Nov 27, 2026", first, "2026-11-28T08:00:00Z", [2]string{"2026-11-14", "2026-11-20"}),
				row("fixture-report", "Oct 31 – Nov 27, 2026", "partial", "2026-11-28T07:30:00Z", [2]string{"2026-10-03", "2026-10-30"}),
				row("r2", "Oct 1 – Oct 31, 2026", "ready", "2026-11-01T07:00:00Z", [2]string{"2026-09-01", "2026-09-30"}),
				row("r1", "Sep 1 – Sep 30, 2026", "failed", "2026-10-01T07:00:00Z", [2]string{"2026-08-01", "2026-08-31"}),
			}})
		case method == "POST" && u.Path == "/api/reports":
			if n := posts.add(body); strings.Contains(body, `"start"`) && n == 2 {
				return jsonReply(422, map[string]any{"error": map[string]string{"code": "invalid_period", "message": "The period can cover at most 366 days.", "field": "period.end"}})
			}
			return jsonReply(202, map[string]string{"id": "fixture-report", "status": "queued"})
		case method == "GET" && u.Path == "/api/reports/fixture-report":
			return &reply{Status: 200, Type: "application/json", Body: reportFixture}
		}
		return nil
	})

	p.Visit("/app")
	p.WaitVisible("#reports table")
	if got := p.Count("#reports tbody tr"); got != 4 {
		t.Fatalf("%d reports listed", got)
	}
	p.WaitFor("the list to refresh itself", `document.querySelector('#reports tbody tr:first-child .badge').textContent === 'Ready'`)
	if got := p.Text("#reports tbody tr:nth-child(2) .badge"); got != "Partly ready" {
		t.Errorf("a partial report is labelled %q", got)
	}
	p.A11y()
	p.Screenshot("app", false)

	// A custom range: the date inputs appear, an error lands beside "To".
	p.Click("#new-report input[value=custom]")
	p.WaitVisible("#custom-range")
	p.Select("#start", "2025-01-01")
	p.Select("#end", "2026-11-27")
	p.Click("#new-report button[type=submit]") // first POST: accepted
	p.WaitAt("/app/reports/fixture-report")
	p.WaitVisible(".kpi")
	p.Visit("/app")
	p.Click("#new-report input[value=custom]")
	p.Select("#start", "2024-01-01")
	p.Select("#end", "2026-11-27")
	p.Click("#new-report button[type=submit]") // second POST: refused
	p.WaitVisible("#new-report .field-error")
	if got := Eval[string](p, `document.querySelector('#new-report .field-error').closest('.field').querySelector('input').id`); got != "end" {
		t.Errorf("the error is shown beside #%s", got)
	}
	// A preset.
	p.Click("#new-report input[value=last_28_days]")
	p.Click("#new-report button[type=submit]")
	p.WaitAt("/app/reports/fixture-report")

	posts.want(t,
		`{"period":{"start":"2025-01-01","end":"2026-11-27"},"compare":"previous_period"}`,
		`{"period":{"start":"2024-01-01","end":"2026-11-27"},"compare":"previous_period"}`,
		`{"period":"last_28_days","compare":"previous_period"}`,
	)
}

// Schedules: weekly and monthly bodies as docs/API.md has them, the list with the next run,
// and delete after a confirmation.
func TestSchedulesPage(t *testing.T) {
	t.Parallel()
	a := newAccountAs(t, "margaret@example.com")
	p := openTab(t)
	p.adopt(a)

	var mu sync.Mutex
	var sent sentLog
	list := []map[string]any{}
	p.Intercept("*/api/schedules*", func(method string, u *url.URL, body string) *reply {
		mu.Lock()
		defer mu.Unlock()
		switch method {
		case "GET":
			return jsonReply(200, map[string]any{"schedules": list})
		case "POST":
			sent.add(body)
			var sc map[string]any
			_ = json.Unmarshal([]byte(body), &sc)
			sc["id"] = "s" + string(rune('0'+len(list)))
			sc["next_run_at"] = "2026-11-30T07:00:00Z" // 08:00 in Paris
			list = append(list, sc)
			return jsonReply(201, sc)
		case "DELETE":
			sent.add("DELETE " + u.RawQuery)
			list = list[:0]
			return &reply{Status: 204}
		}
		return nil
	})
	p.Visit("/app/schedules")
	p.WaitVisible("#schedules .empty")
	p.Select("#weekday", "1")
	p.Select("#hour", "8")
	p.Select("#timezone", "Europe/Paris")
	p.Click("#new-schedule button[type=submit]")
	p.WaitVisible("#schedules .schedule")
	if got := p.Text("#schedules .schedule-title"); got != "Every Monday at 08:00 (Europe/Paris)" {
		t.Errorf("the schedule reads %q", got)
	}
	p.A11y()
	p.Screenshot("schedules", false)

	p.Click("#new-schedule input[value=monthly]")
	p.WaitVisible("#day")
	p.Select("#day", "31")
	p.Click("#new-schedule button[type=submit]")
	p.WaitFor("two schedules", `document.querySelectorAll('#schedules .schedule').length === 2`)

	p.Click("#schedules .schedule:first-child [data-delete]")
	p.Click("dialog[open] button[value=yes]")
	p.WaitVisible("#schedules .empty")

	sent.want(t,
		`{"cadence":"weekly","hour":8,"timezone":"Europe/Paris","compare":"previous_period","attach_csv":true,"weekday":1}`,
		`{"cadence":"monthly","hour":8,"timezone":"Europe/Paris","compare":"previous_period","attach_csv":true,"day":31}`,
		`DELETE id=s0`,
	)
}

// headingsAre checks that the displayed elements matching sel read want, in order, as drawn
// for the current media (screen or print).
func (p *Tab) headingsAre(sel string, want []string) {
	p.t.Helper()
	got := Eval[[]string](p, `[...document.querySelectorAll("`+sel+`")].filter((e) => e.getClientRects().length).map((e) => e.innerText.trim())`)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		p.t.Errorf("headings %q, want %q", got, want)
	}
}

// sentLog keeps what a page sent to an intercepted API, in order, for a test to compare with
// the bodies docs/API.md promises. Intercept callbacks run on the browser's goroutine while
// the test reads the log, hence the lock.
type sentLog struct {
	mu   sync.Mutex
	sent []string
}

// add records one request and returns how many there are now.
func (l *sentLog) add(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, s)
	return len(l.sent)
}

// want fails t unless the page sent exactly want, in order.
func (l *sentLog) want(t *testing.T, want ...string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if got, w := strings.Join(l.sent, "\n"), strings.Join(want, "\n"); got != w {
		t.Errorf("the page sent:\n%s\nwant:\n%s", got, w)
	}
}
