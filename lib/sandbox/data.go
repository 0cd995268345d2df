package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"net/http"
	"slices"
	"time"
)

// maxDays bounds one metrics request (a report asks for at most 366 days at a time).
const maxDays = 400

// Day is one day of synthetic data. Revenue is in cents.
type Day struct {
	Date     string `json:"date"`
	Visitors int64  `json:"visitors"`
	Signups  int64  `json:"signups"`
	Orders   int64  `json:"orders"`
	Revenue  int64  `json:"revenue"`
}

// Page is a row of the top pages.
type Page struct {
	Page     string `json:"page"`
	Visitors int64  `json:"visitors"`
}

// Metrics is the answer of GET /api/sandbox/metrics, the contract metrics.Demo reads.
type Metrics struct {
	Currency string `json:"currency"`
	Days     []Day  `json:"days"`
	TopPages []Page `json:"top_pages"`
}

// Site is one of a sandbox account's demo sites.
type Site struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// sites are the same for every sandbox account.
var sites = []Site{
	{ID: "site_shop", Name: "Demo Shop (shop.example)"},
	{ID: "site_blog", Name: "Demo Blog (blog.example)"},
	{ID: "site_docs", Name: "Demo Docs (docs.example)"},
}

// Metrics serves GET /api/sandbox/metrics?start=YYYY-MM-DD&end=YYYY-MM-DD with a bearer
// access token carrying metrics.read: one row per day, the same numbers every time for the
// same sandbox account and day.
func (s *Server) Metrics(w http.ResponseWriter, r *http.Request) error {
	g, err := s.authorizeBearer(w, r, "metrics.read")
	if err != nil || g == nil {
		return err
	}
	start, err1 := time.Parse(time.DateOnly, r.URL.Query().Get("start"))
	end, err2 := time.Parse(time.DateOnly, r.URL.Query().Get("end"))
	if err1 != nil || err2 != nil || end.Before(start) || end.Sub(start) > maxDays*24*time.Hour {
		return oauthJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "start and end are YYYY-MM-DD dates, start ≤ end, at most 400 days apart."})
	}
	return oauthJSON(w, http.StatusOK, Generate(g.account, start, end))
}

// Sites serves GET /api/sandbox/sites with a bearer access token carrying sites.read.
func (s *Server) Sites(w http.ResponseWriter, r *http.Request) error {
	g, err := s.authorizeBearer(w, r, "sites.read")
	if err != nil || g == nil {
		return err
	}
	return oauthJSON(w, http.StatusOK, map[string]any{"sites": sites})
}

// authorizeBearer checks the access token (RFC 6750 §3.1). It answers the refusal itself and
// returns a nil grant then.
func (s *Server) authorizeBearer(w http.ResponseWriter, r *http.Request, scope string) (*grant, error) {
	g, err := s.lookup(r.Context(), bearer(r))
	if errors.Is(err, errNoGrant) || (err == nil && !g.access) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox", error="invalid_token"`)
		return nil, oauthJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(g.scopes, scope) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox", error="insufficient_scope", scope="`+scope+`"`)
		return nil, oauthJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope"})
	}
	return &g, nil
}

// Generate is the synthetic data of account from start to end, both included. Each day's
// figures come from a hash of (account, date) only, so they never change and do not depend
// on the range asked for: a weekly shape, a slow upward trend and some noise.
func Generate(account string, start, end time.Time) Metrics {
	base := 600 + float64(uniform(account, "base", 0)*900)
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	m := Metrics{Currency: "usd", Days: []Day{}}
	var total int64
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		date := d.Format(time.DateOnly)
		week := [7]float64{0.66, 1, 1.04, 1.02, 1, 0.93, 0.72}[d.Weekday()]
		trend := 1 + 0.0002*d.Sub(epoch).Hours()/24
		visitors := math.Round(base * week * trend * (0.85 + 0.3*uniform(account, date, 0)))
		signups := math.Round(visitors * (0.012 + 0.012*uniform(account, date, 1)))
		orders := math.Round(signups * (0.35 + 0.35*uniform(account, date, 2)))
		price := math.Round(2900 + 7000*uniform(account, date, 3))
		m.Days = append(m.Days, Day{Date: date, Visitors: int64(visitors), Signups: int64(signups), Orders: int64(orders), Revenue: int64(orders * price)})
		total += int64(visitors)
	}
	m.TopPages = topPages(account, total)
	return m
}

var pagePaths = []string{"/", "/pricing", "/blog", "/docs", "/features", "/signup", "/about", "/changelog"}

// topPages shares the period's visitors among the site's pages with weights fixed per
// account, most visited first.
func topPages(account string, total int64) []Page {
	weights := make([]float64, len(pagePaths))
	var sum float64
	for i := range pagePaths {
		weights[i] = (0.6 + 0.8*uniform(account, "page", i)) / float64(i+1)
		sum += weights[i]
	}
	out := make([]Page, len(pagePaths))
	for i, p := range pagePaths {
		out[i] = Page{Page: p, Visitors: int64(math.Round(float64(total) * weights[i] / sum * 0.8))}
	}
	slices.SortStableFunc(out, func(a, b Page) int { return int(b.Visitors - a.Visitors) })
	return out[:5]
}

// uniform is a number in [0, 1) fixed by its arguments.
func uniform(account, label string, n int) float64 {
	sum := sha256.Sum256([]byte(account + "|" + label + "|" + string(rune('a'+n))))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}
