package browser

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// settleJS runs before a page's scripts. It holds every API answer until the page has
// painted once, as on a phone, where the answers come round trips after the HTML and CSS
// (here they would often come before the first frame, and a shift before it is no shift).
// And it counts the calls still open: a fetch counts until its body has been read (api.js
// reads every answer with text()), and each ends a task later, so the code that awaited it
// has run (and started the next call, or drawn) by then.
const settleJS = `(() => {
	let open = 0;
	const painted = new Promise((ok) => {
		const check = () => performance.getEntriesByType('paint').length ? ok() : requestAnimationFrame(check);
		requestAnimationFrame(check);
	});
	const done = () => setTimeout(() => { open--; }, 0);
	const track = (p) => { open++; p.then(done, done); return p; };
	const fetch = window.fetch, text = Response.prototype.text;
	window.fetch = function (...args) { return track(Promise.all([fetch.apply(this, args), painted]).then(([res]) => res)); };
	Response.prototype.text = function () { return track(text.call(this)); };
	window.__mqOpenCalls = () => open;
})()`

// shiftsJS resolves, once the page has drawn two more frames, to its layout shifts so far (a
// buffered observer sees them from the navigation on), each with what moved. All of them:
// the test sends no input while it measures, and Chromium marks the shifts of the first
// 500 ms after a DevTools navigation hadRecentInput (lastInputTime ≈ 50 ms, before the first
// paint, with no input sent), so leaving those out, as CLS does after real input, would leave
// out exactly the shifts of a page filling in, which Lighthouse counts.
const shiftsJS = `new Promise((done) => {
	const shifts = [];
	const describe = (n) => !n ? '(gone)' : n.nodeType !== 1 ? n.nodeName :
		n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + [...n.classList].map((c) => '.' + c).join('');
	const rect = (r) => [r.x, r.y, r.width, r.height].map(Math.round).join(',');
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) shifts.push({ value: e.value,
			sources: (e.sources || []).map((s) => describe(s.node) + ' [' + rect(s.previousRect) + '] -> [' + rect(s.currentRect) + ']') });
	}).observe({ type: 'layout-shift', buffered: true });
	requestAnimationFrame(() => requestAnimationFrame(() => done(shifts)));
})`

type layoutShift struct {
	Value   float64  `json:"value"`
	Sources []string `json:"sources"`
}

// Every page, on a phone the size Lighthouse emulates (412 × 823), fills in without moving
// what it has already drawn: the sum of its layout shifts, from the navigation until its API
// calls are answered and drawn, stays under Lighthouse's 0.1 budget for cumulative layout
// shift (a sum is never below the session window Lighthouse reports). Signed in with an
// address not yet confirmed — every new user, who sees the "Please confirm" banner — and
// with a confirmed one; with a ready report, its share link and a connected integration.
func TestPagesDoNotShiftAsTheyFillIn(t *testing.T) {
	t.Parallel()
	for _, confirmed := range []bool{false, true} {
		t.Run(map[bool]string{false: "address-unconfirmed", true: "address-confirmed"}[confirmed], func(t *testing.T) {
			t.Parallel()
			a := newAccount(t)
			if confirmed {
				confirmOverHTTP(t, a)
			}
			p := openTab(t)
			call(p, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: settleJS})
			p.adopt(a)
			connectDemoIn(p)
			reportID, token := readyReportAndShare(t, a)
			p.viewport(412, 823, chromedp.EmulateMobile)
			defer p.viewport(1280, 860)
			for _, path := range []string{"/app", "/app/reports/" + reportID, "/app/integrations", "/app/schedules",
				"/app/settings", "/shared#" + token, "/", "/signup", "/login", "/security", "/no-such-page"} {
				p.checkShifts(path, !confirmed && strings.HasPrefix(path, "/app"))
				if strings.HasPrefix(path, "/app/reports/") {
					p.checkTickLabels()
				}
			}
		})
	}
}

// checkShifts opens path, waits until it has settled (with the address banner when banner)
// and fails the test when its layout shifts add up to 0.1 or more, naming what moved.
func (p *Tab) checkShifts(path string, banner bool) {
	p.t.Helper()
	if path == "/no-such-page" {
		p.ExpectFailure(p.base + path)
	}
	p.Visit(path)
	settled := `document.readyState === 'complete' && window.__mqOpenCalls() === 0 && !document.querySelector('.loading')`
	if strings.HasPrefix(path, "/app") {
		settled += ` && document.body.classList.contains('signed-in')`
	}
	if banner {
		settled += ` && document.querySelector('#address-banner')`
	}
	p.WaitFor(path+" to settle", settled)
	var sum float64
	var report []string
	for _, s := range Eval[[]layoutShift](p, shiftsJS) {
		sum += s.Value
		report = append(report, fmt.Sprintf("  %.4f: %s", s.Value, strings.Join(s.Sources, "; ")))
	}
	if sum >= 0.1 {
		p.t.Errorf("%s shifts %.3f in all, want < 0.1:\n%s", path, sum, strings.Join(report, "\n"))
	} else {
		p.t.Logf("%s: layout shift %.4f\n%s", path, sum, strings.Join(report, "\n"))
	}
}

// checkTickLabels fails the test when a chart's tick labels render under 11 CSS px: the
// font size in SVG units times the drawing's scale on this screen.
func (p *Tab) checkTickLabels() {
	p.t.Helper()
	sizes := Eval[[]float64](p, `[...document.querySelectorAll('.chart svg:has(.chart-tick)')].map((svg) =>
		parseFloat(getComputedStyle(svg.querySelector('.chart-tick')).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)`)
	if len(sizes) == 0 {
		p.t.Fatal("the report draws no chart with tick labels")
	}
	p.t.Logf("chart tick labels at 412 px: %.1f CSS px (smallest)", slices.Min(sizes))
	if slices.Min(sizes) < 11 {
		p.t.Errorf("chart tick labels render %.1f CSS px tall at 412 px, want at least 11", slices.Min(sizes))
	}
}

// confirmOverHTTP confirms a's address with the link its signup mailed.
func confirmOverHTTP(t *testing.T, a *account) {
	t.Helper()
	m := mailWithSubject(t, a.Email, subjectVerify)
	for _, link := range m.Links {
		if _, token, ok := strings.Cut(link, "/verify-email?token="); ok {
			devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": token}), 204, "")
			return
		}
	}
	t.Fatalf("no verification link in %v", m.Links)
}

// readyReportAndShare makes a report over a's connected demo source, waits until it is ready
// and returns its id and the token of a share link to it.
func readyReportAndShare(t *testing.T, a *account) (reportID, token string) {
	t.Helper()
	r := a.HTTP.Do("POST", "/api/reports", map[string]any{"period": "last_28_days"})
	devtest.Want(t, r, 202, "")
	reportID, _ = r.Map()["id"].(string)
	devtest.Eventually(t, "the report to be ready", func() bool {
		r := a.HTTP.Do("GET", "/api/reports/"+reportID, nil)
		return r.Map()["status"] == "ready"
	})
	r = a.HTTP.Do("POST", "/api/shares", map[string]any{"report_id": reportID})
	devtest.Want(t, r, 201, "")
	_, token, _ = strings.Cut(r.Map()["url"].(string), "#")
	return reportID, token
}
