package metrics

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Fixtures follow searchanalytics.query's response: rows[] of keys, clicks, impressions, ctr
// (0–1) and position; with the date dimension, days without data are simply absent.
// https://developers.google.com/webmaster-tools/v1/searchanalytics/query
const (
	scTotals     = `{"rows": [{"clicks": 350, "impressions": 10000, "ctr": 0.035, "position": 8.1829472789}], "responseAggregationType": "byProperty"}`
	scPrevTotals = `{"rows": [{"clicks": 280, "impressions": 9000, "ctr": 0.0311111, "position": 9.4}], "responseAggregationType": "byProperty"}`
	scQueries    = `{"rows": [
		{"keys": ["metriqs"], "clicks": 120, "impressions": 900, "ctr": 0.1333333, "position": 1.2},
		{"keys": ["=HYPERLINK(\"x\")"], "clicks": 40, "impressions": 2000, "ctr": 0.02, "position": 6.5},
		{"keys": ["ga4 weekly report"], "clicks": 30, "impressions": 1500, "ctr": 0.02, "position": 7.25}
	], "responseAggregationType": "byProperty"}`
)

// Nov 4 and Nov 7 are absent (Nov 7 within Search Console's ~2-day lag).
var scDays = []string{
	`{"keys": ["2026-11-01"], "clicks": 50, "impressions": 1500, "ctr": 0.0333, "position": 8.0}`,
	`{"keys": ["2026-11-02"], "clicks": 70, "impressions": 2000, "ctr": 0.035, "position": 7.5}`,
	`{"keys": ["2026-11-03"], "clicks": 80, "impressions": 2100, "ctr": 0.0381, "position": 8.2}`,
	`{"keys": ["2026-11-05"], "clicks": 90, "impressions": 2400, "ctr": 0.0375, "position": 8.9}`,
	`{"keys": ["2026-11-06"], "clicks": 60, "impressions": 2000, "ctr": 0.03, "position": 8.4}`,
}

// The top queries over the previous span (filtered to them); the second was not searched.
const scPrevQueries = `{"rows": [
	{"keys": ["ga4 weekly report"], "clicks": 35, "impressions": 1400, "ctr": 0.025, "position": 7.5},
	{"keys": ["metriqs"], "clicks": 100, "impressions": 800, "ctr": 0.125, "position": 1.3}
], "responseAggregationType": "byProperty"}`

// The comparison span's days: Oct 25 and Oct 31 only.
const scPrevDays = `{"rows": [
	{"keys": ["2026-10-25"], "clicks": 40, "impressions": 1200, "ctr": 0.0333, "position": 9.5},
	{"keys": ["2026-10-31"], "clicks": 45, "impressions": 1300, "ctr": 0.0346, "position": 9.1}
], "responseAggregationType": "byProperty"}`

func TestSearchConsole(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/searchAnalytics/query") {
			reply(w, 404, `{}`)
			return
		}
		switch d, _ := body["dimensions"].([]any); {
		case len(d) == 0 && body["startDate"] == "2026-11-01":
			reply(w, 200, scTotals)
		case len(d) == 0:
			reply(w, 200, scPrevTotals)
		case d[0] == "date" && body["startDate"] == "2026-10-25" && body["startRow"] == nil:
			reply(w, 200, scPrevDays) // a full page of 2: the next one is empty
		case d[0] == "date" && body["startDate"] == "2026-10-25":
			reply(w, 200, `{"responseAggregationType": "byProperty"}`)
		case d[0] == "date":
			start, _ := body["startRow"].(float64)
			limit := int(body["rowLimit"].(float64))
			end := min(int(start)+limit, len(scDays))
			reply(w, 200, fmt.Sprintf(`{"rows": [%s], "responseAggregationType": "byProperty"}`, strings.Join(scDays[int(start):end], ",")))
		case d[0] == "query" && body["dimensionFilterGroups"] != nil:
			reply(w, 200, scPrevQueries)
		case d[0] == "query":
			reply(w, 200, scQueries)
		}
	})
	sc := SearchConsole{BaseURL: f.srv.URL, rowLimit: 2}
	s := fetch(t, sc, f.client(), Selection{SearchConsoleSite: "https://www.example.com/"}, week("UTC"))

	expect(t, "clicks", metric(t, s, "clicks").Value, 350)
	expect(t, "clicks change", *metric(t, s, "clicks").ChangePct, 25)
	expect(t, "ctr %", metric(t, s, "ctr").Value, 3.5)
	pos := metric(t, s, "position")
	expect(t, "position", pos.Value, 8.18)
	if pos.HigherIsBetter || pos.Unit != UnitPosition || *pos.ChangePct >= 0 {
		t.Errorf("position should be lower-is-better and improved: %+v", pos)
	}

	clicks := series(t, s, "clicks")
	if len(clicks.Points) != 7 {
		t.Fatalf("clicks has %d points, want one per day", len(clicks.Points))
	}
	v := values(clicks)
	expect(t, "Nov 4 (absent) clicks", v["2026-11-04"], 0)
	expect(t, "Nov 7 (lag) clicks", v["2026-11-07"], 0)
	expect(t, "Nov 6 (third page) clicks", v["2026-11-06"], 60)
	if p := series(t, s, "position").Points; len(p) != 5 || p[3].Date != date("2026-11-05") {
		t.Errorf("position series should skip absent days: %+v", p)
	}

	// The comparison line: day i of the previous span, zero where it had no row; the rates
	// skip such days.
	prevClicks := series(t, s, "clicks").Previous
	if len(prevClicks) != 7 || prevClicks[0].Value != 40 || prevClicks[6].Value != 45 || prevClicks[1].Value != 0 {
		t.Errorf("previous clicks line %+v", prevClicks)
	}
	if pp := series(t, s, "position").Previous; len(pp) != 2 || pp[1].Value != 9.1 {
		t.Errorf("previous position line %+v", pp)
	}
	// Nov 7 has no row yet while earlier days have: not published yet. Top queries leave
	// anonymized queries out. The days are Pacific Time, not the user's.
	if s.TimeZone != "America/Los_Angeles" {
		t.Errorf("time zone %q", s.TimeZone)
	}
	lag := note(t, s, NoteSCDataLag)
	if !strings.Contains(lag.Text, "2026-11-07") || strings.Contains(lag.Text, "2026-11-06") {
		t.Errorf("lag note %q", lag.Text)
	}
	note(t, s, NoteSCAnonymized)
	if z := note(t, s, NoteTimeZone); !strings.Contains(z.Text, "America/Los_Angeles") {
		t.Errorf("zone note %q", z.Text)
	}

	if prev := s.Tables[0].Previous; len(prev) != 3 || prev[0] != "100" || prev[1] != "0" || prev[2] != "35" {
		t.Errorf("top queries' previous clicks %v", prev)
	}
	tb := s.Tables[0]
	if tb.Key != "top_queries" || len(tb.Rows) != 3 || tb.Rows[0][0] != "metriqs" || tb.Rows[0][3] != "13.33" {
		t.Errorf("top queries %+v", tb)
	}

	var starts []float64
	for _, r := range f.requests() {
		// The site is one escaped path segment, ":" and "/" included.
		if !strings.HasPrefix(r.RequestURI, "/webmasters/v3/sites/https%3A%2F%2Fwww.example.com%2F/searchAnalytics/query") {
			t.Errorf("request URI %s", r.RequestURI)
		}
		if r.Body["type"] != "web" {
			t.Errorf("search type %v", r.Body["type"])
		}
		d, _ := r.Body["dimensions"].([]any)
		switch {
		case len(d) == 1 && d[0] == "date" && r.Body["startDate"] == "2026-10-25":
			if r.Body["endDate"] != "2026-10-31" {
				t.Errorf("previous daily request %v", r.Body)
			}
		case len(d) == 1 && d[0] == "date":
			start, _ := r.Body["startRow"].(float64)
			starts = append(starts, start)
			if r.Body["rowLimit"] != float64(2) || r.Body["startDate"] != "2026-11-01" || r.Body["endDate"] != "2026-11-07" {
				t.Errorf("daily request %v", r.Body)
			}
		case len(d) == 1 && d[0] == "query" && r.Body["dimensionFilterGroups"] != nil:
			f := r.Body["dimensionFilterGroups"].([]any)[0].(map[string]any)["filters"].([]any)[0].(map[string]any)
			if f["operator"] != "includingRegex" || f["expression"] != `^(metriqs|=HYPERLINK\("x"\)|ga4 weekly report)$` || r.Body["startDate"] != "2026-10-25" {
				t.Errorf("previous top queries request %v", r.Body)
			}
		case len(d) == 1 && d[0] == "query":
			if r.Body["rowLimit"] != float64(10) {
				t.Errorf("top queries rowLimit %v", r.Body["rowLimit"])
			}
		case len(d) == 0 && r.Body["startDate"] == "2026-10-25" && r.Body["endDate"] != "2026-10-31":
			t.Errorf("previous totals %v", r.Body)
		}
	}
	if len(starts) != 3 || starts[0]+starts[1]+starts[2] != 6 {
		t.Errorf("daily pages at startRow %v, want 0, 2, 4", starts)
	}
}

func TestSearchConsoleDomainPropertyAndEmptyData(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		reply(w, 200, `{"responseAggregationType": "byProperty"}`) // no rows at all
	})
	s := fetch(t, SearchConsole{BaseURL: f.srv.URL}, f.client(), Selection{SearchConsoleSite: "sc-domain:example.com"}, week("UTC"))
	if !strings.Contains(f.requests()[0].RequestURI, "/sites/sc-domain%3Aexample.com/searchAnalytics/query") {
		t.Errorf("request URI %s", f.requests()[0].RequestURI)
	}
	if m := metric(t, s, "clicks"); m.Value != 0 || m.ChangePct != nil {
		t.Errorf("empty clicks %+v", m)
	}
	if len(series(t, s, "impressions").Points) != 7 || len(series(t, s, "position").Points) != 0 {
		t.Error("empty data: impressions zero-filled, position empty")
	}
	// A site without any data is not "not published yet", and there are no queries to miss.
	if len(s.Notes) != 1 || s.Notes[0].Code != NoteTimeZone {
		t.Errorf("notes of an empty site %+v", s.Notes)
	}
	if _, err := (SearchConsole{BaseURL: f.srv.URL}).Fetch(t.Context(), f.client(), Selection{}, week("UTC")); !isKind(err, ErrPermanent) {
		t.Errorf("no site chosen: %v", err)
	}
}
