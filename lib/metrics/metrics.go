// Package metrics reads what a report shows from each provider a customer connected: one
// Fetcher per provider, each returning a Section in the shape of API.md's report sections.
//
// A Fetcher is handed an *http.Client that already carries the customer's OAuth token, so this
// package never sees a credential. It classifies every failure for the caller (see errors.go):
// reconnect, retry later, or give up with a sentence the customer can read.
package metrics

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/trymetriqs/metriqs/lib/period"
)

// Provider ids, as in API.md's integrations.
const (
	ProviderGA4           = "google-analytics"
	ProviderSearchConsole = "search-console"
	ProviderStripe        = "stripe"
	ProviderGitHub        = "github"
	ProviderDemo          = "demo"
)

// Units a Metric can be in. Money is "currency:" + lower-case ISO 4217 code, in major units
// (dollars, not cents). Percent values are 0–100, not fractions.
const (
	UnitCount    = "count"
	UnitPercent  = "percent"
	UnitPosition = "position"
)

// UnitCurrency returns the unit of an amount in the given currency ("usd" → "currency:usd").
func UnitCurrency(code string) string { return "currency:" + code }

// Section statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// Section is one provider's part of a report.
type Section struct {
	Provider string `json:"provider"`
	Status   string `json:"status"`
	// Error says, in words a customer understands, why the section failed.
	Error string `json:"error,omitempty"`
	// Source names what the section covers (a GA4 property, a Search Console site, a Stripe
	// account, GitHub repositories), so that a reader knows which of several it is.
	Source  *Source  `json:"source,omitempty"`
	Metrics []Metric `json:"metrics"`
	Series  []Series `json:"series"`
	Tables  []Table  `json:"tables,omitempty"`
	// TimeZone is the IANA zone whose calendar days the series and totals are in: the GA4
	// property's, Pacific Time for Search Console, the user's for the rest.
	TimeZone string `json:"time_zone,omitempty"`
	// Notes explain figures that may differ from the provider's own pages (notes.go).
	Notes []Note `json:"notes,omitempty"`
}

// MarshalJSON writes empty lists as [] rather than null, so that clients can iterate without
// checking.
func (s Section) MarshalJSON() ([]byte, error) {
	type plain Section
	if s.Metrics == nil {
		s.Metrics = []Metric{}
	}
	if s.Series == nil {
		s.Series = []Series{}
	}
	return json.Marshal(plain(s))
}

// Source is what a section covers: the provider's id for it, and a name to show when known.
type Source struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Source is what sel chooses of provider, else the connected account (Stripe), or nil when
// there is neither (the sandbox).
func (sel Selection) Source(provider string) *Source {
	var id string
	switch provider {
	case ProviderGA4:
		id = sel.GA4Property
	case ProviderSearchConsole:
		id = sel.SearchConsoleSite
	case ProviderStripe:
		id = sel.StripeAccount
	case ProviderGitHub:
		id = strings.Join(sel.GitHubRepos, ", ")
	}
	if id == "" {
		return sel.Account
	}
	return &Source{ID: id, Name: sel.Labels[id]}
}

// Split is sel as one Selection per source, in the order chosen: each GA4 property and each
// Search Console site is a section of its own (agencies report on several sites at once).
// GitHub's repositories stay one section, which totals them and lists each in a table.
func (sel Selection) Split() []Selection {
	var out []Selection
	for _, id := range sel.GA4Properties {
		one := sel
		one.GA4Property, one.GA4Properties, one.SearchConsoleSites = id, nil, nil
		out = append(out, one)
	}
	for _, id := range sel.SearchConsoleSites {
		one := sel
		one.SearchConsoleSite, one.GA4Properties, one.SearchConsoleSites = id, nil, nil
		out = append(out, one)
	}
	if out == nil {
		return []Selection{sel}
	}
	return out
}

// Metric is one figure for the period, with the same figure for the previous period.
type Metric struct {
	Key   string  `json:"key"`
	Label string  `json:"label"`
	Value float64 `json:"value"`
	// Previous is the value over the comparison period; meaningless when Snapshot is set.
	Previous float64 `json:"previous"`
	// ChangePct is the change from Previous in percent, nil when there is nothing to compare
	// with (Previous is 0, or the metric is a Snapshot).
	ChangePct *float64 `json:"change_pct"`
	// ChangePP is, for a rate (unit percent), the change in percentage points (value −
	// previous, rounded to 0.01): what a rate's change means. A relative change of a rate
	// ("1.9 % vs 1.9 %, ▲ 2.7 %") reads as a contradiction, so pages and the CSV show this.
	ChangePP       *float64 `json:"change_pp,omitempty"`
	Unit           string   `json:"unit"`
	HigherIsBetter bool     `json:"higher_is_better"`
	// Snapshot marks a value read "as of now" that the provider cannot give for a past date
	// (Stripe MRR): there is no previous value and no change.
	Snapshot bool `json:"snapshot,omitempty"`
}

// NewMetric builds a Metric and computes its change.
func NewMetric(key, label, unit string, value, previous float64, higherIsBetter bool) Metric {
	m := Metric{
		Key: key, Label: label, Unit: unit, HigherIsBetter: higherIsBetter,
		Value: value, Previous: previous, ChangePct: ChangePct(value, previous),
	}
	if unit == UnitPercent {
		m.ChangePP = ChangePP(value, previous)
	}
	return m
}

// ChangePP is the change from previous to value in percentage points, rounded to 0.01; nil
// when either is not a number. Unlike ChangePct it exists from a previous 0 %.
func ChangePP(value, previous float64) *float64 {
	if math.IsNaN(previous) || math.IsNaN(value) {
		return nil
	}
	pp := math.Round((value-previous)*100) / 100
	return &pp
}

// ChangePct is the relative change from previous to value in percent, rounded to 0.01, or nil
// when previous is 0 (growth from nothing has no percentage). It divides by |previous| so
// that a move from −100 to −50 reads as an improvement (+50%), not a decline.
func ChangePct(value, previous float64) *float64 {
	if previous == 0 || math.IsNaN(previous) || math.IsNaN(value) {
		return nil
	}
	pct := math.Round((value-previous)/math.Abs(previous)*100*100) / 100
	return &pct
}

// Series is a daily series for a chart.
type Series struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Points has one point per day of the current period, in order, zero where the provider
	// reported nothing. The exception is a rate or an average, whose zero would be a lie
	// (Search Console's position, where 0 would mean "better than first"; CTR; GA4's
	// engagement rate): such a series skips days without data.
	Points []Point `json:"points"`
	// Previous is the same series over the comparison span (period.previous_start on), by
	// the same rules, so that a chart can draw it as a second line: point i of Previous is
	// day i of the comparison span, not the same date. Empty for series read "as of now".
	Previous []Point `json:"previous,omitempty"`
}

// Point is one day's value.
type Point struct {
	Date  period.Date `json:"date"`
	Value float64     `json:"value"`
}

// Table is a small top-N table (top pages, top queries, per-repository figures). Cells are
// text, already formatted.
type Table struct {
	Key     string     `json:"key"`
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// Previous is, row by row, the row's first figure (column 1) over the comparison span,
	// "0" where the row had nothing then, so that a top list shows the change too; absent
	// where the provider's list has no comparison.
	Previous []string `json:"previous,omitempty"`
}

// Selection is what the customer chose to report on when connecting providers. Each fetcher
// reads only its own field.
type Selection struct {
	// GA4Property is a GA4 property id, "123456789" or "properties/123456789".
	GA4Property string `json:"ga4_property,omitempty"`
	// SearchConsoleSite is a Search Console property: "https://www.example.com/" (URL prefix)
	// or "sc-domain:example.com" (domain).
	SearchConsoleSite string `json:"search_console_site,omitempty"`
	// GitHubRepos are "owner/name" repositories.
	GitHubRepos []string `json:"github_repos,omitempty"`
	// GA4Properties and SearchConsoleSites are every property or site chosen, when more than
	// one may be; Split turns them into one Selection each, with the singular field set.
	GA4Properties      []string `json:"ga4_properties,omitempty"`
	SearchConsoleSites []string `json:"search_console_sites,omitempty"`
	// Labels names chosen ids ("properties/1001" → "Acme Web") for the sections' Source.
	Labels map[string]string `json:"labels,omitempty"`
	// StripeAccount is a connected account id ("acct_…"), sent as Stripe-Account when the
	// token is the platform's rather than the account's own.
	StripeAccount string `json:"stripe_account,omitempty"`
	// Account is the connected account itself, for a provider where nothing is chosen
	// (Stripe: the installing account, whose own token needs no Stripe-Account header). It
	// only names the section.
	Account *Source `json:"account,omitempty"`
}

// Fetcher reads one provider's section for a period and the previous one. hc carries the
// customer's token. Errors are classified as in errors.go.
type Fetcher interface {
	Fetch(ctx context.Context, hc *http.Client, sel Selection, p period.Period) (*Section, error)
}

// Fetchers returns a Fetcher for every provider id, talking to the real APIs; demoBase is
// the origin serving the sandbox (the Metriqs deployment itself).
func Fetchers(demoBase string) map[string]Fetcher {
	return map[string]Fetcher{
		ProviderGA4:           GA4{},
		ProviderSearchConsole: SearchConsole{},
		ProviderStripe:        Stripe{},
		ProviderGitHub:        GitHub{},
		ProviderDemo:          Demo{BaseURL: demoBase},
	}
}

// ok starts a successful section.
func ok(provider string) *Section {
	return &Section{Provider: provider, Status: StatusOK, Metrics: []Metric{}, Series: []Series{}}
}
