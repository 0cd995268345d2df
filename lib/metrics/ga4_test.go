package metrics

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Fixtures follow RunReportResponse:
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/RunReportResponse
// With several dateRanges, rows carry a "dateRange" dimension valued with each range's name:
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/DateRange
const ga4MetricHeaders = `"metricHeaders": [
	{"name": "activeUsers", "type": "TYPE_INTEGER"}, {"name": "newUsers", "type": "TYPE_INTEGER"},
	{"name": "sessions", "type": "TYPE_INTEGER"}, {"name": "screenPageViews", "type": "TYPE_INTEGER"},
	{"name": "engagementRate", "type": "TYPE_FLOAT"}]`

// Totals: "previous" first, to prove rows are matched by name, not position. Period users
// (900) are fewer than the sum of daily users: people come back on several days.
const ga4Totals = `{
	"dimensionHeaders": [{"name": "dateRange"}], ` + ga4MetricHeaders + `,
	"rows": [
		{"dimensionValues": [{"value": "previous"}], "metricValues": [{"value": "600"}, {"value": "400"}, {"value": "1000"}, {"value": "2500"}, {"value": "0.5"}]},
		{"dimensionValues": [{"value": "current"}], "metricValues": [{"value": "900"}, {"value": "500"}, {"value": "1400"}, {"value": "3000"}, {"value": "0.5324"}]}
	],
	"rowCount": 2, "kind": "analyticsData#runReport",
	"metadata": {"currencyCode": "EUR", "timeZone": "America/New_York", "subjectToThresholding": true,
		"samplingMetadatas": [{"samplesReadCount": "661", "samplingSpaceSize": "1000"}, {"samplesReadCount": "500", "samplingSpaceSize": "1000"}]}}`

// Daily rows, six of seven days (Nov 4 has no data), served three per page.
var ga4DailyRows = []string{
	`{"dimensionValues": [{"value": "20261101"}], "metricValues": [{"value": "150"}, {"value": "80"}, {"value": "200"}, {"value": "420"}, {"value": "0.51"}]}`,
	`{"dimensionValues": [{"value": "20261102"}], "metricValues": [{"value": "160"}, {"value": "90"}, {"value": "210"}, {"value": "430"}, {"value": "0.52"}]}`,
	`{"dimensionValues": [{"value": "20261103"}], "metricValues": [{"value": "170"}, {"value": "70"}, {"value": "230"}, {"value": "500"}, {"value": "0.55"}]}`,
	`{"dimensionValues": [{"value": "20261105"}], "metricValues": [{"value": "180"}, {"value": "85"}, {"value": "260"}, {"value": "600"}, {"value": "0.56"}]}`,
	`{"dimensionValues": [{"value": "20261106"}], "metricValues": [{"value": "140"}, {"value": "95"}, {"value": "250"}, {"value": "550"}, {"value": "0.50"}]}`,
	`{"dimensionValues": [{"value": "20261107"}], "metricValues": [{"value": "130"}, {"value": "80"}, {"value": "250"}, {"value": "500"}, {"value": "0.54"}]}`,
}

const ga4TopPages = `{
	"dimensionHeaders": [{"name": "pagePath"}],
	"metricHeaders": [{"name": "screenPageViews", "type": "TYPE_INTEGER"}],
	"rows": [
		{"dimensionValues": [{"value": "/pricing"}], "metricValues": [{"value": "1200"}]},
		{"dimensionValues": [{"value": "/blog/launch, part 2"}], "metricValues": [{"value": "800"}]}
	],
	"rowCount": 57,
	"metadata": {"dataLossFromOtherRow": true, "timeZone": "America/New_York"}}`

// ga4DailyBoth is the daily answer over both spans, as GA4 gives it: with two dateRanges
// every row also carries the dateRange dimension. The previous span has Oct 25 and Oct 31;
// Oct 31 comes first, to prove rows are placed by date.
var ga4DailyBoth = func() []string {
	rows := []string{
		`{"dimensionValues": [{"value": "20261031"}, {"value": "previous"}], "metricValues": [{"value": "90"}, {"value": "40"}, {"value": "120"}, {"value": "300"}, {"value": "0.4"}]}`,
		`{"dimensionValues": [{"value": "20261025"}, {"value": "previous"}], "metricValues": [{"value": "110"}, {"value": "60"}, {"value": "150"}, {"value": "350"}, {"value": "0.45"}]}`,
	}
	for _, r := range ga4DailyRows {
		rows = append(rows, strings.Replace(r, `}], "metricValues"`, `}, {"value": "current"}], "metricValues"`, 1))
	}
	return rows
}()

// The top pages over the previous span, filtered to them: /blog/launch, part 2 was not
// viewed then, so it is absent.
const ga4PrevPages = `{
	"dimensionHeaders": [{"name": "pagePath"}],
	"metricHeaders": [{"name": "screenPageViews", "type": "TYPE_INTEGER"}],
	"rows": [{"dimensionValues": [{"value": "/pricing"}], "metricValues": [{"value": "900"}]}],
	"rowCount": 1}`

func dims(body map[string]any) string {
	var names []string
	ds, _ := body["dimensions"].([]any)
	for _, d := range ds {
		names = append(names, d.(map[string]any)["name"].(string))
	}
	return strings.Join(names, ",")
}

func TestGA4(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1beta/properties/123456:runReport" {
			reply(w, 404, `{}`)
			return
		}
		switch dims(body) {
		case "":
			reply(w, 200, ga4Totals)
		case "date":
			offset, _ := body["offset"].(float64)
			limit := int(body["limit"].(float64))
			end := min(int(offset)+limit, len(ga4DailyBoth))
			reply(w, 200, fmt.Sprintf(`{"dimensionHeaders": [{"name": "date"}, {"name": "dateRange"}], %s, "rows": [%s], "rowCount": %d, "metadata": {"timeZone": "America/New_York"}}`,
				ga4MetricHeaders, strings.Join(ga4DailyBoth[int(offset):end], ","), len(ga4DailyBoth)))
		case "pagePath":
			if body["dimensionFilter"] != nil { // the top pages over the previous span
				reply(w, 200, ga4PrevPages)
				return
			}
			reply(w, 200, ga4TopPages)
		}
	})
	g := GA4{BaseURL: f.srv.URL, pageSize: 3}
	s := fetch(t, g, f.client(), Selection{GA4Property: "properties/123456"}, week("UTC"))

	users := metric(t, s, "active_users")
	expect(t, "active users", users.Value, 900) // from the totals report, not Σ daily (930)
	expect(t, "previous active users", users.Previous, 600)
	expect(t, "change", *users.ChangePct, 50)
	expect(t, "engagement rate %", metric(t, s, "engagement_rate").Value, 53.24)
	if m := metric(t, s, "engagement_rate"); m.Unit != UnitPercent {
		t.Errorf("engagement unit %q", m.Unit)
	}
	expect(t, "page views", metric(t, s, "page_views").Value, 3000)

	daily := series(t, s, "active_users")
	if prev := daily.Previous; len(prev) != 7 || prev[0].Value != 110 || prev[6].Value != 90 || prev[3].Value != 0 {
		t.Errorf("previous daily users %+v", prev)
	}
	if pr := series(t, s, "engagement_rate").Previous; len(pr) != 2 || pr[0].Value != 45 {
		t.Errorf("previous engagement line %+v", pr)
	}
	// The notes the metadata calls for: sampled at the smallest share read (50 %),
	// thresholds, the "(other)" row; and the property's zone, which is not the user's.
	if s.TimeZone != "America/New_York" {
		t.Errorf("time zone %q", s.TimeZone)
	}
	if n := note(t, s, NoteGA4Sampled); !strings.Contains(n.Text, " 50% ") {
		t.Errorf("sampling note %q", n.Text)
	}
	note(t, s, NoteGA4Thresholding)
	note(t, s, NoteGA4OtherRow)
	if n := note(t, s, NoteTimeZone); !strings.Contains(n.Text, "America/New_York") || !strings.Contains(n.Text, "(UTC)") {
		t.Errorf("zone note %q", n.Text)
	}
	if len(daily.Points) != 7 {
		t.Fatalf("%d points", len(daily.Points))
	}
	v := values(daily)
	expect(t, "Nov 4 (absent) users", v["2026-11-04"], 0)
	expect(t, "Nov 5 users", v["2026-11-05"], 180)
	expect(t, "Nov 7 (second page) users", v["2026-11-07"], 130)
	rate := series(t, s, "engagement_rate")
	expect(t, "Nov 1 engagement %", values(rate)["2026-11-01"], 51)
	if len(rate.Points) != 6 {
		t.Errorf("engagement rate should skip the day without data: %+v", rate.Points)
	}

	if tb := s.Tables[0]; tb.Key != "top_pages" || len(tb.Rows) != 2 || tb.Rows[1][0] != "/blog/launch, part 2" || tb.Rows[0][1] != "1200" {
		t.Errorf("top pages %+v", tb)
	}
	// Each top page's views in the comparison span, in the list's order; one it did not
	// have then is 0.
	if prev := s.Tables[0].Previous; len(prev) != 2 || prev[0] != "900" || prev[1] != "0" {
		t.Errorf("top pages' previous views %v", prev)
	}

	// The requests, as the API wants them.
	var daysPages []float64
	for _, r := range f.requests() {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		ranges := r.Body["dateRanges"].([]any)
		switch dims(r.Body) {
		case "":
			cur, prev := ranges[0].(map[string]any), ranges[1].(map[string]any)
			if cur["startDate"] != "2026-11-01" || cur["endDate"] != "2026-11-07" || cur["name"] != "current" ||
				prev["startDate"] != "2026-10-25" || prev["endDate"] != "2026-10-31" || prev["name"] != "previous" {
				t.Errorf("totals dateRanges %v", ranges)
			}
			if n := len(r.Body["metrics"].([]any)); n != 5 {
				t.Errorf("totals asks %d metrics", n)
			}
		case "date":
			if len(ranges) != 2 || ranges[1].(map[string]any)["startDate"] != "2026-10-25" {
				t.Errorf("daily dateRanges %v", ranges)
			}
			off, _ := r.Body["offset"].(float64)
			daysPages = append(daysPages, off)
		case "pagePath":
			if f, ok := r.Body["dimensionFilter"].(map[string]any); ok {
				list := f["filter"].(map[string]any)["inListFilter"].(map[string]any)
				if vals := list["values"].([]any); len(vals) != 2 || vals[1] != "/blog/launch, part 2" || ranges[0].(map[string]any)["startDate"] != "2026-10-25" {
					t.Errorf("previous top pages request %v", r.Body)
				}
				continue
			}
			order := r.Body["orderBys"].([]any)[0].(map[string]any)
			if r.Body["limit"] != float64(10) || order["desc"] != true || order["metric"].(map[string]any)["metricName"] != "screenPageViews" {
				t.Errorf("top pages request %v", r.Body)
			}
		}
	}
	if len(daysPages) != 3 || daysPages[0]+daysPages[1]+daysPages[2] != 9 {
		t.Errorf("daily pages at offsets %v, want 0, 3 and 6", daysPages)
	}
}

func TestGA4NeedsAProperty(t *testing.T) {
	for _, id := range []string{"", "properties/", "123/../456", "abc"} {
		_, err := GA4{BaseURL: "http://127.0.0.1:1"}.Fetch(t.Context(), http.DefaultClient, Selection{GA4Property: id}, week("UTC"))
		if !isKind(err, ErrPermanent) {
			t.Errorf("property %q: %v", id, err)
		}
	}
}
