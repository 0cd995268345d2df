package metrics

import (
	"net/http"
	"testing"
)

// A series carries the comparison span as a second line: day i of the previous span, zero
// where nothing happened, in the same unit as the current line (dollars, not cents).
func TestSeriesCarryTheComparisonSpan(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		if r.URL.Query().Get("start") == "2026-11-01" {
			reply(w, 200, demoCurrent)
			return
		}
		reply(w, 200, demoPrevious)
	})
	s := fetch(t, Demo{BaseURL: f.srv.URL + "/"}, f.client(), Selection{}, week("Europe/Paris"))
	vis := series(t, s, "visitors")
	if len(vis.Previous) != 7 || vis.Previous[0].Date.String() != "2026-10-25" || vis.Previous[0].Value != 2000 || vis.Previous[1].Value != 0 {
		t.Fatalf("previous visitors line %+v", vis.Previous)
	}
	if rev := series(t, s, "revenue"); rev.Previous[0].Value != 1000 {
		t.Errorf("previous revenue line in cents? %+v", rev.Previous[0])
	}
}

// A rate changes in percentage points; a count does not get them.
func TestRatesChangeInPoints(t *testing.T) {
	m := NewMetric("ctr", "CTR", UnitPercent, 1.95, 1.9, true)
	if m.ChangePP == nil || *m.ChangePP != 0.05 {
		t.Errorf("change_pp = %v, want 0.05", fmtPtr(m.ChangePP))
	}
	if m := NewMetric("ctr", "CTR", UnitPercent, 2.5, 0, true); m.ChangePP == nil || *m.ChangePP != 2.5 {
		t.Errorf("from 0 %%: change_pp = %v, want 2.5", fmtPtr(m.ChangePP))
	}
	if m := NewMetric("visits", "Visits", UnitCount, 3, 2, true); m.ChangePP != nil {
		t.Errorf("a count has change_pp %v", *m.ChangePP)
	}
}

// A section names what it covers from the customer's choices; the sandbox chooses nothing.
func TestSelectionSource(t *testing.T) {
	sel := Selection{GA4Property: "properties/123", SearchConsoleSite: "sc-domain:example.com", StripeAccount: "acct_1", GitHubRepos: []string{"o/a", "o/b"}}
	for provider, want := range map[string]string{ProviderGA4: "properties/123", ProviderSearchConsole: "sc-domain:example.com", ProviderStripe: "acct_1", ProviderGitHub: "o/a, o/b"} {
		if got := sel.Source(provider); got == nil || got.ID != want {
			t.Errorf("%s: source %+v, want %q", provider, got, want)
		}
	}
	if got := sel.Source(ProviderDemo); got != nil {
		t.Errorf("demo source %+v", got)
	}
}
