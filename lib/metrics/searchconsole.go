package metrics

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
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
	// DimensionFilterGroups narrows the rows (the top queries' previous clicks).
	DimensionFilterGroups []scFilterGroup `json:"dimensionFilterGroups,omitempty"`
}

type scFilterGroup struct {
	Filters []scFilter `json:"filters"`
}

type scFilter struct {
	Dimension  string `json:"dimension"`
	Operator   string `json:"operator"`
	Expression string `json:"expression"`
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
	var totals, prevTotals, days, prevDays, queries []scRow
	err := each(ctx, 5, 5, func(ctx context.Context, i int) (err error) {
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
		case 4: // the comparison line of every chart
			r := prev
			r.Dimensions = []string{"date"}
			prevDays, err = sc.query(ctx, hc, u, r, 0)
		}
		return err
	})
	if err != nil {
		return nil, sc.api().classified(err)
	}
	prevQueries, err := sc.previousQueries(ctx, hc, u, prev, queries)
	if err != nil {
		return nil, sc.api().classified(err)
	}
	s := scSection(p, first(totals), first(prevTotals), days, prevDays, queries)
	s.Tables[0].Previous = prevQueries
	s.TimeZone = searchConsoleZone
	s.Notes = append(scNotes(p, days, queries), zoneNote(ProviderSearchConsole, searchConsoleZone, p.TimeZone)...)
	return s, nil
}

func first(rows []scRow) scRow {
	if len(rows) == 0 {
		return scRow{} // no data at all in the span
	}
	return rows[0]
}

func scSection(p period.Period, cur, prev scRow, days, prevDays, queries []scRow) *Section {
	s := ok(ProviderSearchConsole)
	s.Metrics = []Metric{
		NewMetric("clicks", "Clicks", UnitCount, cur.Clicks, prev.Clicks, true),
		NewMetric("impressions", "Impressions", UnitCount, cur.Impressions, prev.Impressions, true),
		NewMetric("ctr", "Click-through rate", UnitPercent, round2(cur.CTR*100), round2(prev.CTR*100), true),
		NewMetric("position", "Average position", UnitPosition, round2(cur.Position), round2(prev.Position), false),
	}
	c, pr := scDaily(days), scDaily(prevDays)
	// Absent days had no impressions: zero clicks and impressions is the truth, but a zero
	// CTR or position would be invented, so those two series skip such days.
	s.Series = []Series{
		pairSeries(c.clicks, pr.clicks, "clicks", "Clicks", p, false),
		pairSeries(c.impressions, pr.impressions, "impressions", "Impressions", p, false),
		pairSeries(c.ctr, pr.ctr, "ctr", "Click-through rate", p, true),
		pairSeries(c.position, pr.position, "position", "Average position", p, true),
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

// previousQueries is the clicks of the top queries over the comparison span, in their
// order: one more call once they are known, filtered to exactly them (an anchored RE2
// alternation, which includingRegex takes).
func (sc SearchConsole) previousQueries(ctx context.Context, hc *http.Client, u string, prev scRequest, queries []scRow) ([]string, error) {
	var alts []string
	for _, r := range queries {
		if len(r.Keys) > 0 {
			alts = append(alts, regexp.QuoteMeta(r.Keys[0]))
		}
	}
	if len(alts) == 0 {
		return nil, nil
	}
	prev.Dimensions = []string{"query"}
	prev.DimensionFilterGroups = []scFilterGroup{{Filters: []scFilter{{Dimension: "query", Operator: "includingRegex", Expression: "^(" + strings.Join(alts, "|") + ")$"}}}}
	rows, err := sc.query(ctx, hc, u, prev, len(alts))
	if err != nil {
		return nil, err
	}
	clicks := map[string]float64{}
	for _, r := range rows {
		if len(r.Keys) > 0 {
			clicks[r.Keys[0]] = r.Clicks
		}
	}
	var out []string
	for _, r := range queries {
		if len(r.Keys) > 0 {
			out = append(out, num(clicks[r.Keys[0]]))
		}
	}
	return out, nil
}

// scSpan is one span's daily rows by figure.
type scSpan struct{ clicks, impressions, ctr, position daily }

func scDaily(rows []scRow) scSpan {
	d := scSpan{daily{}, daily{}, daily{}, daily{}}
	for _, r := range rows {
		if len(r.Keys) == 0 {
			continue
		}
		day, err := period.ParseDate(r.Keys[0])
		if err != nil {
			continue
		}
		d.clicks[day], d.impressions[day] = r.Clicks, r.Impressions
		d.ctr[day], d.position[day] = round2(r.CTR*100), round2(r.Position)
	}
	return d
}

// scLagDays is how many of the period's last days may be missing because Search Console
// has not published them yet: it publishes a day's final data two to three days late.
const scLagDays = 3

// scNotes explains the two ways Search Console's figures fall short: the last days of a
// recent period are not published yet (a site with data has no row for them), and top
// queries leave out anonymized queries, which the totals include.
func scNotes(p period.Period, days, queries []scRow) []Note {
	var notes []Note
	have := map[period.Date]bool{}
	for _, r := range days {
		if len(r.Keys) > 0 {
			if d, err := period.ParseDate(r.Keys[0]); err == nil {
				have[d] = true
			}
		}
	}
	dates := p.Dates()
	missing := 0
	for missing < len(dates) && !have[dates[len(dates)-1-missing]] {
		missing++
	}
	if missing > 0 && missing <= scLagDays && len(have) > 0 {
		from := dates[len(dates)-missing]
		notes = append(notes, Note{NoteSCDataLag, fmt.Sprintf("Search Console has not published %s yet (it publishes each day 2–3 days late), so the period's totals leave %s out.", span(from, p.End), pronoun(missing))})
	}
	if len(queries) > 0 {
		notes = append(notes, Note{NoteSCAnonymized, "Top queries leave out queries Google keeps private to protect searchers (anonymized queries); the totals include them, so the queries listed add up to less."})
	}
	return notes
}

func span(from, to period.Date) string {
	if from == to {
		return from.String()
	}
	return from.String() + " to " + to.String()
}

func pronoun(n int) string {
	if n == 1 {
		return "that day"
	}
	return "those days"
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
