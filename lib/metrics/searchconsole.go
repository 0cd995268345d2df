package metrics

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trymetriqs/metriqs/lib/period"
)

// SearchConsole reads Google Search performance through searchanalytics.query.
// https://developers.google.com/webmaster-tools/v1/searchanalytics/query
//
// Search Console days are Pacific Time days and lag about two days behind; days without data
// are absent from the answer rather than zero.
type SearchConsole struct {
	// BaseURL defaults to https://searchconsole.googleapis.com.
	BaseURL string
	// rowLimit is the page size for the daily query; 0 means 25,000 (the API's maximum).
	rowLimit int
}

type scRequest struct {
	StartDate  string   `json:"startDate"`
	EndDate    string   `json:"endDate"`
	Dimensions []string `json:"dimensions,omitempty"`
	Type       string   `json:"type"`
	RowLimit   int      `json:"rowLimit,omitempty"`
	StartRow   int      `json:"startRow,omitempty"`
}

type scRow struct {
	Keys        []string `json:"keys"`
	Clicks      float64  `json:"clicks"`
	Impressions float64  `json:"impressions"`
	CTR         float64  `json:"ctr"`
	Position    float64  `json:"position"`
}

type scResponse struct {
	Rows []scRow `json:"rows"`
}

func (sc SearchConsole) api() api {
	return googleAPI(ProviderSearchConsole, "Your Google account can no longer read this Search Console property. Choose another property or reconnect with an account that has access.")
}

// queryURL escapes the site into one path segment, ":" and "/" included, as the API's own
// examples do (https%3A%2F%2Fwww.example.com%2F, sc-domain%3Aexample.com).
func (sc SearchConsole) queryURL(site string) string {
	seg := strings.ReplaceAll(url.PathEscape(site), ":", "%3A")
	return baseURL(sc.BaseURL, "https://searchconsole.googleapis.com") + "/webmasters/v3/sites/" + seg + "/searchAnalytics/query"
}

// Fetch reads the totals of each span without dimensions (so that Google computes CTR and
// average position over the whole span, weighted correctly), the daily rows and the top 10
// queries, in four concurrent calls.
func (sc SearchConsole) Fetch(ctx context.Context, hc *http.Client, sel Selection, p period.Period) (*Section, error) {
	if sel.SearchConsoleSite == "" {
		return nil, permanent(ProviderSearchConsole, "Choose a Search Console property in Integrations.", nil)
	}
	u := sc.queryURL(sel.SearchConsoleSite)
	cur := scRequest{StartDate: p.Start.String(), EndDate: p.End.String(), Type: "web"}
	prev := scRequest{StartDate: p.PreviousStart.String(), EndDate: p.PreviousEnd.String(), Type: "web"}
	var totals, prevTotals, days, queries []scRow
	err := each(ctx, 4, 4, func(ctx context.Context, i int) (err error) {
		switch i {
		case 0:
			totals, err = sc.query(ctx, hc, u, cur, 1)
		case 1:
			prevTotals, err = sc.query(ctx, hc, u, prev, 1)
		case 2:
			r := cur
			r.Dimensions = []string{"date"}
			days, err = sc.query(ctx, hc, u, r, 0)
		case 3: // Rows come sorted by clicks, descending.
			r := cur
			r.Dimensions = []string{"query"}
			queries, err = sc.query(ctx, hc, u, r, 10)
		}
		return err
	})
	if err != nil {
		return nil, sc.api().classified(err)
	}
	return scSection(p, first(totals), first(prevTotals), days, queries), nil
}

func first(rows []scRow) scRow {
	if len(rows) == 0 {
		return scRow{} // no data at all in the span
	}
	return rows[0]
}

func scSection(p period.Period, cur, prev scRow, days, queries []scRow) *Section {
	s := ok(ProviderSearchConsole)
	s.Metrics = []Metric{
		NewMetric("clicks", "Clicks", UnitCount, cur.Clicks, prev.Clicks, true),
		NewMetric("impressions", "Impressions", UnitCount, cur.Impressions, prev.Impressions, true),
		NewMetric("ctr", "Click-through rate", UnitPercent, round2(cur.CTR*100), round2(prev.CTR*100), true),
		NewMetric("position", "Average position", UnitPosition, round2(cur.Position), round2(prev.Position), false),
	}
	clicks, impressions, ctr, position := daily{}, daily{}, daily{}, daily{}
	for _, r := range days {
		if len(r.Keys) == 0 {
			continue
		}
		day, err := period.ParseDate(r.Keys[0])
		if err != nil {
			continue
		}
		clicks[day], impressions[day] = r.Clicks, r.Impressions
		ctr[day], position[day] = round2(r.CTR*100), round2(r.Position)
	}
	// Absent days had no impressions: zero clicks and impressions is the truth, but a zero
	// CTR or position would be invented, so those two series skip such days.
	s.Series = []Series{
		clicks.series("clicks", "Clicks", p),
		impressions.series("impressions", "Impressions", p),
		ctr.sparse("ctr", "Click-through rate", p),
		position.sparse("position", "Average position", p),
	}
	rows := [][]string{}
	for _, r := range queries {
		if len(r.Keys) == 0 {
			continue
		}
		rows = append(rows, []string{r.Keys[0], num(r.Clicks), num(r.Impressions), num(round2(r.CTR * 100)), num(round2(r.Position))})
	}
	s.Tables = []Table{{Key: "top_queries", Title: "Top queries", Columns: []string{"Query", "Clicks", "Impressions", "CTR %", "Position"}, Rows: rows}}
	return s
}

// query pages through rows with startRow until a short page; a top-N request (top > 0) is one
// page of N rows.
func (sc SearchConsole) query(ctx context.Context, hc *http.Client, u string, req scRequest, top int) ([]scRow, error) {
	const maxPages = 20
	size := cmp.Or(top, sc.rowLimit, 25000)
	var rows []scRow
	for range maxPages {
		req.RowLimit, req.StartRow = size, len(rows)
		var resp scResponse
		if err := sc.api().postJSON(ctx, hc, u, req, &resp); err != nil {
			return nil, err
		}
		rows = append(rows, resp.Rows...)
		if top > 0 {
			return rows[:min(len(rows), top)], nil
		}
		if len(resp.Rows) < size {
			return rows, nil
		}
	}
	return nil, permanent(ProviderSearchConsole, "Search Console returned more rows than a report can hold.", nil)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
