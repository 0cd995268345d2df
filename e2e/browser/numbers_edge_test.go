package browser

import (
	"net/url"
	"strings"
	"testing"
)

// numbersReport is a finished report as GET /api/reports/{id} answers it (../shared/API.md):
// a change that rounds to nothing, rates whose relative change would contradict their
// values, large counts, and a top list whose cells come as the API sends them (plain digits,
// never formatted by the server).
const numbersReport = `{"id":"numbers-report","title":"Nov 1 – 7, 2026","status":"done",
 "period":{"start":"2026-11-01","end":"2026-11-07","previous_start":"2026-10-25","previous_end":"2026-10-31","compare":"previous_period"},
 "created_at":"2026-11-08T08:00:02Z","completed_at":"2026-11-08T08:00:09Z",
 "sections":[{"provider":"google-analytics","status":"ok","source":{"id":"properties/1001","name":"Acme Web"},"time_zone":"UTC",
  "metrics":[
   {"key":"sessions","label":"Sessions","value":99990,"previous":100000,"change_pct":-0.01,"unit":"count","higher_is_better":true},
   {"key":"page_views","label":"Page views","value":1234567,"previous":1000000,"change_pct":23.46,"unit":"count","higher_is_better":true},
   {"key":"bounce","label":"Bounces","value":5000,"previous":4000,"change_pct":25,"unit":"count","higher_is_better":false},
   {"key":"conversion_rate","label":"Conversion rate","value":1.95,"previous":1.9,"change_pct":2.63,"change_pp":0.05,"unit":"percent","higher_is_better":true},
   {"key":"engagement_rate","label":"Engagement rate","value":1.92,"previous":1.9,"change_pct":1.05,"change_pp":0.02,"unit":"percent","higher_is_better":true},
   {"key":"ctr","label":"CTR","value":2.4,"previous":3.6,"change_pct":-33.33,"change_pp":-1.2,"unit":"percent","higher_is_better":true}],
  "series":[],
  "tables":[{"key":"top_pages","title":"Top pages","columns":["Page","Views"],
   "rows":[["/","41208"],["/2024/archive","12980"],["/pricing","99990"],["/docs","1234567.5"]],
   "previous":["38000","12980","100000","0"]}]}]}`

// The report's numbers say what the figures say (issue 14, item 11): a −0.01 % change is a
// neutral "0 %", not a red "▼ 0 %"; a rate changes in percentage points; thousands
// separators on the cards and in the top lists, their change column included, while a page
// path that looks like a number is left as it is.
func TestReportNumbersReadTrue(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.Intercept("*numbers-report*", func(method string, u *url.URL, _ string) *reply {
		switch {
		case u.Path == "/api/shares":
			return jsonReply(200, map[string]any{"shares": []any{}})
		case u.Path == "/api/reports/numbers-report" && method == "GET":
			return &reply{Status: 200, Type: "application/json", Body: []byte(numbersReport)}
		}
		return nil
	})
	p.Visit("/app/reports/numbers-report")
	p.WaitVisible(".kpi")
	badge := func(metric string) (text, class string) {
		return p.Text(`[data-metric="` + metric + `"] .badge [aria-hidden]`),
			Eval[string](p, `document.querySelector('[data-metric="`+metric+`"] .badge').className`)
	}
	for metric, want := range map[string][2]string{
		"sessions":        {"0 %", "badge-neutral"},   // −0.01 %: no change worth a colour
		"page_views":      {"▲ 23 %", "badge-good"},   // whole percent from 10 on
		"bounce":          {"▲ 25 %", "badge-bad"},    // up, and up is bad
		"conversion_rate": {"▲ 0.1 pp", "badge-good"}, // points, not the 2.6 % relative change
		"engagement_rate": {"0 pp", "badge-neutral"},  // 1.92 % vs 1.9 %: not "▲ 1.1 %"
		"ctr":             {"▼ 1.2 pp", "badge-bad"},  // 3.6 % → 2.4 %, not "▼ 33 %"
	} {
		if text, class := badge(metric); text != want[0] || !strings.Contains(class, want[1]) {
			t.Errorf("%s badge reads %q (%s), want %q (%s)", metric, text, class, want[0], want[1])
		}
	}
	for metric, want := range map[string]string{"page_views": "1,234,567", "sessions": "99,990", "ctr": "2.4%"} {
		if got := p.Text(`[data-metric="` + metric + `"] .kpi-value`); got != want {
			t.Errorf("%s card reads %q, want %q", metric, got, want)
		}
	}
	if got := p.Text(`[data-metric="sessions"] .kpi-foot`); !strings.Contains(got, "vs 100,000") {
		t.Errorf("the sessions card's comparison reads %q", got)
	}
	cells := Eval[[]string](p, `[...document.querySelectorAll('.table-card tbody tr')].map((tr) =>
		[...tr.children].map((td) => td.querySelector('[aria-hidden]') ? td.querySelector('[aria-hidden]').textContent : td.textContent).join(' | '))`)
	want := []string{
		"/ | 41,208 | ▲ 8.4 %",
		"/2024/archive | 12,980 | 0 %",
		"/pricing | 99,990 | 0 %", // −0.01 %, neutral like the card
		"/docs | 1,234,567.5 | New",
	}
	if strings.Join(cells, "\n") != strings.Join(want, "\n") {
		t.Errorf("the top list reads\n%s\nwant\n%s", strings.Join(cells, "\n"), strings.Join(want, "\n"))
	}
	if got := p.Text(`.table-card tbody tr:first-child .visually-hidden`); !strings.Contains(got, "from 38,000") {
		t.Errorf("the first row's change says %q to a screen reader", got)
	}
	p.A11y()
}
