package metrics

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
)

// GA4 reads a Google Analytics 4 property through the Data API's properties.runReport.
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
//
// Dates are the property's reporting days (its own time zone, set in GA4), which may differ
// from the user's; GA4 offers no way to ask for another zone.
type GA4 struct {
	// BaseURL defaults to https://analyticsdata.googleapis.com.
	BaseURL string
	// pageSize is the runReport limit per page; 0 means 10,000 (the API's default). Tests
	// shrink it to exercise pagination.
	pageSize int
}

// ga4Metrics are read in this order; engagementRate is a 0–1 fraction we show as percent.
var ga4Metrics = []struct{ api, key, label, unit string }{
	{"activeUsers", "active_users", "Active users", UnitCount},
	{"newUsers", "new_users", "New users", UnitCount},
	{"sessions", "sessions", "Sessions", UnitCount},
	{"screenPageViews", "page_views", "Page views", UnitCount},
	{"engagementRate", "engagement_rate", "Engagement rate", UnitPercent},
}

type ga4Name struct {
	Name string `json:"name"`
}

type ga4DateRange struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Name      string `json:"name,omitempty"`
}

type ga4OrderBy struct {
	Metric *ga4MetricOrder `json:"metric,omitempty"`
	Desc   bool            `json:"desc,omitempty"`
}

type ga4MetricOrder struct {
	MetricName string `json:"metricName"`
}

type ga4Request struct {
	DateRanges []ga4DateRange `json:"dateRanges"`
	Dimensions []ga4Name      `json:"dimensions,omitempty"`
	Metrics    []ga4Name      `json:"metrics"`
	OrderBys   []ga4OrderBy   `json:"orderBys,omitempty"`
	// DimensionFilter narrows the rows (the top pages' previous views).
	DimensionFilter *ga4Filter `json:"dimensionFilter,omitempty"`
	Limit           int        `json:"limit,omitempty"`
	Offset          int        `json:"offset,omitempty"`
}

// ga4Filter is a FilterExpression of one inListFilter.
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/FilterExpression
type ga4Filter struct {
	Filter struct {
		FieldName    string `json:"fieldName"`
		InListFilter struct {
			Values        []string `json:"values"`
			CaseSensitive bool     `json:"caseSensitive"`
		} `json:"inListFilter"`
	} `json:"filter"`
}

type ga4Value struct {
	Value string `json:"value"`
}

type ga4Row struct {
	DimensionValues []ga4Value `json:"dimensionValues"`
	MetricValues    []ga4Value `json:"metricValues"`
}

type ga4Response struct {
	DimensionHeaders []ga4Name `json:"dimensionHeaders"`
	MetricHeaders    []ga4Name `json:"metricHeaders"`
	Rows             []ga4Row  `json:"rows"`
	RowCount         int       `json:"rowCount"`
	Metadata         ga4Meta   `json:"metadata"`
}

// ga4Table is a runReport answer with columns found by name rather than position.
type ga4Table struct {
	dims, mets map[string]int
	rows       []ga4Row
	meta       ga4Meta
}

func (t ga4Table) dim(r ga4Row, name string) string {
	if i, ok := t.dims[name]; ok && i < len(r.DimensionValues) {
		return r.DimensionValues[i].Value
	}
	return ""
}

func (t ga4Table) metric(r ga4Row, name string) float64 {
	if i, ok := t.mets[name]; ok && i < len(r.MetricValues) {
		v, _ := strconv.ParseFloat(r.MetricValues[i].Value, 64)
		return v
	}
	return 0
}

func (g GA4) api() api {
	return googleAPI(ProviderGA4, "Your Google account can no longer read this Google Analytics property. Choose another property or reconnect with an account that has access.")
}

// Fetch reads totals (without the date dimension: daily users do not add up to the period's
// users), a daily series and the top pages, in three concurrent runReport calls.
func (g GA4) Fetch(ctx context.Context, hc *http.Client, sel Selection, p period.Period) (*Section, error) {
	id := strings.TrimPrefix(sel.GA4Property, "properties/")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return nil, permanent(ProviderGA4, "Choose a Google Analytics property in Integrations.", fmt.Errorf("property %q", sel.GA4Property))
	}
	url := baseURL(g.BaseURL, "https://analyticsdata.googleapis.com") + "/v1beta/properties/" + id + ":runReport"
	metrics := make([]ga4Name, len(ga4Metrics))
	for i, m := range ga4Metrics {
		metrics[i] = ga4Name{m.api}
	}
	current := ga4DateRange{StartDate: p.Start.String(), EndDate: p.End.String()}
	// Both spans in one request: rows carry a dateRange dimension naming the span.
	spans := []ga4DateRange{
		{StartDate: p.Start.String(), EndDate: p.End.String(), Name: "current"},
		{StartDate: p.PreviousStart.String(), EndDate: p.PreviousEnd.String(), Name: "previous"},
	}
	var totals, days, pages ga4Table
	err := each(ctx, 3, 3, func(ctx context.Context, i int) (err error) {
		switch i {
		case 0:
			totals, err = g.run(ctx, hc, url, ga4Request{DateRanges: spans, Metrics: metrics}, 0)
		case 1: // both spans too, for the comparison line of every chart
			days, err = g.run(ctx, hc, url, ga4Request{DateRanges: spans, Dimensions: []ga4Name{{"date"}}, Metrics: metrics}, 0)
		case 2:
			top := ga4OrderBy{Metric: &ga4MetricOrder{"screenPageViews"}, Desc: true}
			pages, err = g.run(ctx, hc, url, ga4Request{
				DateRanges: []ga4DateRange{current}, Dimensions: []ga4Name{{"pagePath"}},
				Metrics: []ga4Name{{"screenPageViews"}}, OrderBys: []ga4OrderBy{top},
			}, 10)
		}
		return err
	})
	if err != nil {
		return nil, g.api().classified(err)
	}
	prevPages, err := g.previousPages(ctx, hc, url, p, pages)
	if err != nil {
		return nil, g.api().classified(err)
	}
	s := g.section(p, totals, days, pages)
	s.Tables[0].Previous = prevPages
	return s, nil
}

// previousPages is the views of the top pages over the comparison span, in their order: a
// fourth call, after the top pages are known (a top list of the previous span would rank
// other pages).
func (g GA4) previousPages(ctx context.Context, hc *http.Client, url string, p period.Period, pages ga4Table) ([]string, error) {
	if len(pages.rows) == 0 {
		return nil, nil
	}
	f := &ga4Filter{}
	f.Filter.FieldName, f.Filter.InListFilter.CaseSensitive = "pagePath", true
	for _, r := range pages.rows {
		f.Filter.InListFilter.Values = append(f.Filter.InListFilter.Values, pages.dim(r, "pagePath"))
	}
	prev, err := g.run(ctx, hc, url, ga4Request{
		DateRanges: []ga4DateRange{{StartDate: p.PreviousStart.String(), EndDate: p.PreviousEnd.String()}},
		Dimensions: []ga4Name{{"pagePath"}}, Metrics: []ga4Name{{"screenPageViews"}}, DimensionFilter: f,
	}, len(pages.rows))
	if err != nil {
		return nil, err
	}
	views := map[string]float64{}
	for _, r := range prev.rows {
		views[prev.dim(r, "pagePath")] = prev.metric(r, "screenPageViews")
	}
	out := make([]string, len(pages.rows))
	for i, r := range pages.rows {
		out[i] = num(views[pages.dim(r, "pagePath")])
	}
	return out, nil
}

func (g GA4) section(p period.Period, totals, days, pages ga4Table) *Section {
	s := ok(ProviderGA4)
	var cur, prev ga4Row
	for _, r := range totals.rows {
		switch totals.dim(r, "dateRange") {
		case "current":
			cur = r
		case "previous":
			prev = r
		}
	}
	perDay, prevDay := ga4Days(days, "current"), ga4Days(days, "previous")
	for i, m := range ga4Metrics {
		value, previous := scale(m.unit, totals.metric(cur, m.api)), scale(m.unit, totals.metric(prev, m.api))
		s.Metrics = append(s.Metrics, NewMetric(m.key, m.label, m.unit, value, previous, true))
		switch m.key {
		case "active_users", "new_users": // daily figures, not summable into the period's
			s.Series = append(s.Series, pairSeries(perDay[i], prevDay[i], m.key, "Daily "+strings.ToLower(m.label), p, false))
		case "engagement_rate": // a day without sessions has no rate, not a rate of 0
			s.Series = append(s.Series, pairSeries(perDay[i], prevDay[i], m.key, m.label, p, true))
		default:
			s.Series = append(s.Series, pairSeries(perDay[i], prevDay[i], m.key, m.label, p, false))
		}
	}
	rows := [][]string{}
	for _, r := range pages.rows {
		rows = append(rows, []string{pages.dim(r, "pagePath"), strconv.FormatFloat(pages.metric(r, "screenPageViews"), 'f', -1, 64)})
	}
	s.Tables = []Table{{Key: "top_pages", Title: "Top pages", Columns: []string{"Page", "Views"}, Rows: rows}}
	meta := totals.meta
	meta.merge(days.meta)
	meta.merge(pages.meta)
	s.TimeZone = meta.TimeZone
	s.Notes = append(meta.notes(), zoneNote(ProviderGA4, meta.TimeZone, p.TimeZone)...)
	return s
}

// ga4Days is, per metric of ga4Metrics, the daily values of one named span. A row without
// a dateRange (a request with one span) belongs to the current one.
func ga4Days(days ga4Table, span string) []daily {
	perDay := make([]daily, len(ga4Metrics))
	for i := range perDay {
		perDay[i] = daily{}
	}
	for _, r := range days.rows {
		if got := cmp.Or(days.dim(r, "dateRange"), "current"); got != span {
			continue
		}
		t, err := time.Parse("20060102", days.dim(r, "date"))
		if err != nil {
			continue // "(other)" or a malformed date cannot be placed on the axis
		}
		for i, m := range ga4Metrics {
			perDay[i][period.DateOf(t)] += scale(m.unit, days.metric(r, m.api))
		}
	}
	return perDay
}

// scale turns GA4's 0–1 rates into percent.
func scale(unit string, v float64) float64 {
	if unit == UnitPercent {
		return v * 100
	}
	return v
}

// run calls runReport, following limit/offset pages until rowCount rows have been read; a
// top-N request (top > 0) is one page of N rows.
func (g GA4) run(ctx context.Context, hc *http.Client, url string, req ga4Request, top int) (ga4Table, error) {
	const maxPages = 50
	size := cmp.Or(top, g.pageSize, 10000)
	t := ga4Table{dims: map[string]int{}, mets: map[string]int{}}
	for range maxPages {
		req.Limit, req.Offset = size, len(t.rows)
		var resp ga4Response
		if err := g.api().postJSON(ctx, hc, url, req, &resp); err != nil {
			return t, err
		}
		for i, h := range resp.DimensionHeaders {
			t.dims[h.Name] = i
		}
		for i, h := range resp.MetricHeaders {
			t.mets[h.Name] = i
		}
		t.rows = append(t.rows, resp.Rows...)
		t.meta.merge(resp.Metadata)
		if top > 0 {
			t.rows = t.rows[:min(len(t.rows), top)]
			return t, nil
		}
		if len(resp.Rows) == 0 || len(t.rows) >= resp.RowCount {
			return t, nil
		}
	}
	return t, permanent(ProviderGA4, "Google Analytics returned more rows than a report can hold.", nil)
}
