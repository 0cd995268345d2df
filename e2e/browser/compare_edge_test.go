package browser

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// yearReport is a finished report compared with the same days a year earlier, as
// GET /api/reports/{id} answers it: its series carry the earlier span's points (2025).
func yearReport() map[string]any {
	var pts, prev []map[string]any
	for d := 1; d <= 7; d++ {
		pts = append(pts, map[string]any{"date": "2026-11-0" + string(rune('0'+d)), "value": 100 + 10*d})
		prev = append(prev, map[string]any{"date": "2025-11-0" + string(rune('0'+d)), "value": 80 + 5*d})
	}
	return map[string]any{"id": "year-report", "title": "Nov 1 – 7, 2026", "status": "done",
		"period":     map[string]string{"start": "2026-11-01", "end": "2026-11-07", "previous_start": "2025-11-01", "previous_end": "2025-11-07", "compare": "previous_year"},
		"created_at": "2026-11-08T08:00:02Z", "completed_at": "2026-11-08T08:00:09Z",
		"sections": []any{map[string]any{"provider": "demo", "status": "ok", "source": map[string]string{"id": "site-1", "name": "Demo site"},
			"metrics": []any{map[string]any{"key": "visitors", "label": "Visitors", "value": 980, "previous": 700, "change_pct": 40, "unit": "count", "higher_is_better": true}},
			"series":  []any{map[string]any{"key": "visitors", "label": "Daily visitors", "points": pts, "previous": prev}}}}}
}

// Comparing with the same days a year earlier is chosen when requesting a report and in a
// schedule (issue 14, item 10): the pages send compare previous_year, the report says what it
// is compared with and draws that span as the dashed line, named in the legend, and the
// schedule says it runs against a year earlier.
func TestCompareWithAYearEarlierFromThePages(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	var mu sync.Mutex
	var sent []string
	schedules := []any{}
	p.Intercept("*/api/*", func(method string, u *url.URL, body string) *reply {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case u.Path == "/api/reports" && method == "GET":
			return jsonReply(200, map[string]any{"reports": []any{}})
		case u.Path == "/api/reports" && method == "POST":
			sent = append(sent, body)
			return jsonReply(202, map[string]string{"id": "year-report", "status": "queued"})
		case u.Path == "/api/reports/year-report" && method == "GET":
			return jsonReply(200, yearReport())
		case u.Path == "/api/shares":
			return jsonReply(200, map[string]any{"shares": []any{}})
		case u.Path == "/api/schedules" && method == "GET":
			return jsonReply(200, map[string]any{"schedules": schedules})
		case u.Path == "/api/schedules" && method == "POST":
			sent = append(sent, body)
			var sc map[string]any
			_ = json.Unmarshal([]byte(body), &sc)
			sc["id"], sc["next_run_at"] = "s1", "2026-11-30T07:00:00Z"
			schedules = append(schedules, sc)
			return jsonReply(201, sc)
		}
		return nil
	})

	p.Visit("/app")
	p.Click("#new-report input[value=last_7_days]")
	p.Click(`#new-report input[name=compare][value=previous_year]`)
	p.Click("#new-report button[type=submit]")
	p.WaitAt("/app/reports/year-report")
	p.WaitVisible(".chart-line-previous")
	if got := p.Text("main"); !strings.Contains(got, "compared with the same days a year earlier") {
		t.Errorf("the report does not say it is compared with a year earlier: %.300q", got)
	}
	if got := p.Text(".chart-legend"); !strings.Contains(got, "A year earlier (dashed)") {
		t.Errorf("the legend reads %q", got)
	}

	p.Visit("/app/schedules")
	p.WaitVisible("#schedules .empty")
	p.Select("#weekday", "1")
	p.Select("#hour", "8")
	p.Select("#compare", "previous_year")
	p.Click("#new-schedule button[type=submit]")
	p.WaitVisible("#schedules .schedule")
	if got := p.Text("#schedules .schedule"); !strings.Contains(got, "against a year earlier") {
		t.Errorf("the schedule reads %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 || !strings.Contains(sent[0], `"compare":"previous_year"`) || !strings.Contains(sent[1], `"compare":"previous_year"`) {
		t.Errorf("the pages sent %q, want compare previous_year in both", sent)
	}
}
