package metrics

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/trymetriqs/metriqs/lib/period"
)

// Demo reads the sandbox provider's synthetic data, so that the whole report path runs
// locally without real accounts. Its contract:
//
//	GET {base}/api/sandbox/metrics?start=YYYY-MM-DD&end=YYYY-MM-DD
//	Authorization: Bearer <token>
//	→ 200 {"currency":"usd","days":[{"date","visitors","signups","orders","revenue"}],
//	       "top_pages":[{"page","visitors"}]}    (revenue in cents)
//	→ 401 {"error":"invalid_token"}
type Demo struct {
	// BaseURL is the origin serving the sandbox (the Metriqs deployment itself). Required.
	BaseURL string
}

type demoDay struct {
	Date     period.Date `json:"date"`
	Visitors float64     `json:"visitors"`
	Signups  float64     `json:"signups"`
	Orders   float64     `json:"orders"`
	Revenue  float64     `json:"revenue"`
}

type demoResponse struct {
	Currency string    `json:"currency"`
	Days     []demoDay `json:"days"`
	TopPages []struct {
		Page     string  `json:"page"`
		Visitors float64 `json:"visitors"`
	} `json:"top_pages"`
}

func (d Demo) api() api { return api{provider: ProviderDemo} }

// Fetch reads both spans concurrently, one request each.
func (d Demo) Fetch(ctx context.Context, hc *http.Client, _ Selection, p period.Period) (*Section, error) {
	if d.BaseURL == "" {
		return nil, permanent(ProviderDemo, "The demo data source is not enabled on this server.", nil)
	}
	var cur, prev demoResponse
	err := each(ctx, 2, 2, func(ctx context.Context, i int) error {
		start, end, out := p.Start, p.End, &cur
		if i == 1 {
			start, end, out = p.PreviousStart, p.PreviousEnd, &prev
		}
		q := url.Values{"start": {start.String()}, "end": {end.String()}}
		_, err := d.api().get(ctx, hc, baseURL(d.BaseURL, "")+"/api/sandbox/metrics?"+q.Encode(), nil, out)
		return err
	})
	if err != nil {
		return nil, d.api().classified(err)
	}
	return demoSection(p, cur, prev), nil
}

func demoSection(p period.Period, cur, prev demoResponse) *Section {
	s := ok(ProviderDemo)
	currency := strings.ToLower(cmp.Or(cur.Currency, "usd"))
	visitors, signups, orders, revenue := daily{}, daily{}, daily{}, daily{}
	var pv, ps, po, pr float64
	for _, day := range cur.Days {
		if !p.Contains(day.Date) {
			continue // never let a misbehaving source put days off the axis
		}
		visitors[day.Date] += day.Visitors
		signups[day.Date] += day.Signups
		orders[day.Date] += day.Orders
		revenue[day.Date] += day.Revenue
	}
	for _, day := range prev.Days {
		if p.ContainsPrevious(day.Date) {
			pv, ps, po, pr = pv+day.Visitors, ps+day.Signups, po+day.Orders, pr+day.Revenue
			// The same maps: the spans never overlap, and the series' Previous lines read them.
			visitors[day.Date] += day.Visitors
			signups[day.Date] += day.Signups
			orders[day.Date] += day.Orders
			revenue[day.Date] += day.Revenue
		}
	}
	cv, _ := visitors.totals(p)
	cs, _ := signups.totals(p)
	co, _ := orders.totals(p)
	cr, _ := revenue.totals(p)
	s.Metrics = []Metric{
		NewMetric("visitors", "Visitors", UnitCount, cv, pv, true),
		NewMetric("signups", "Signups", UnitCount, cs, ps, true),
		NewMetric("orders", "Orders", UnitCount, co, po, true),
		NewMetric("revenue", "Revenue", UnitCurrency(currency), major(cr, currency), major(pr, currency), true),
		NewMetric("conversion_rate", "Conversion rate", UnitPercent, rate(cs, cv), rate(ps, pv), true),
	}
	rev := revenue.series("revenue", "Revenue", p)
	for _, pts := range [][]Point{rev.Points, rev.Previous} {
		for i := range pts {
			pts[i].Value = major(pts[i].Value, currency)
		}
	}
	s.Series = []Series{
		visitors.series("visitors", "Visitors", p),
		signups.series("signups", "Signups", p),
		orders.series("orders", "Orders", p),
		rev,
	}
	rows := [][]string{}
	for _, tp := range cur.TopPages {
		rows = append(rows, []string{tp.Page, num(tp.Visitors)})
	}
	s.Tables = []Table{{Key: "top_pages", Title: "Top pages", Columns: []string{"Page", "Visitors"}, Rows: rows}}
	return s
}

// rate is part/whole in percent, 0 when whole is 0 (no visitors, no conversions).
func rate(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return round2(part / whole * 100)
}
