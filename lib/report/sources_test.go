package report

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// sourceConns connects GA4 with the given selection (several properties chosen).
type sourceConns struct{ sel metrics.Selection }

func (c sourceConns) Connected(context.Context, string) ([]string, error) {
	return []string{metrics.ProviderGA4}, nil
}
func (c sourceConns) Client(context.Context, string, string) (*http.Client, metrics.Selection, error) {
	return http.DefaultClient, c.sel, nil
}
func (c sourceConns) RefusedAccess(context.Context, string, string) error { return nil }

// perProperty answers each GA4 property with its own figure; properties/3 refuses access.
type perProperty struct{}

func (perProperty) Fetch(_ context.Context, _ *http.Client, sel metrics.Selection, _ period.Period) (*metrics.Section, error) {
	v := map[string]float64{"properties/1": 100, "properties/2": 200}[sel.GA4Property]
	if sel.GA4Property == "properties/3" || len(sel.GA4Properties) != 0 {
		return nil, &metrics.Error{Provider: metrics.ProviderGA4, Kind: metrics.ErrPermanent, Message: "no access"}
	}
	return &metrics.Section{Provider: metrics.ProviderGA4, Status: metrics.StatusOK,
		Metrics: []metrics.Metric{metrics.NewMetric("active_users", "Active users", metrics.UnitCount, v, 0, true)}}, nil
}

// Several properties of one provider are a section each, in the order chosen, named by the
// choice's label; one that fails is a failed section naming its source, the others stand.
// A fetcher that says nothing of time zones gets the period's.
func TestSeveralSourcesOfOneProvider(t *testing.T) {
	sel := metrics.Selection{
		GA4Property:   "properties/2",
		GA4Properties: []string{"properties/2", "properties/1", "properties/3"},
		Labels:        map[string]string{"properties/1": "Blog", "properties/2": "Shop", "properties/3": "Old"},
	}
	st := storetest.New(t)
	s := New(st, sourceConns{sel}, map[string]metrics.Fetcher{metrics.ProviderGA4: perProperty{}}, &fakePub{}, func() time.Time { return now })
	r := create(t, s, "u1")
	if err := s.Generate(context.Background(), body(r.ID)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), "u1", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != Partial || len(got.Sections) != 3 {
		t.Fatalf("status %s, %d sections: %+v", got.Status, len(got.Sections), got.Sections)
	}
	want := []struct {
		id, name, status string
		users            float64
	}{{"properties/2", "Shop", "ok", 200}, {"properties/1", "Blog", "ok", 100}, {"properties/3", "Old", "failed", 0}}
	for i, w := range want {
		sec := got.Sections[i]
		if sec.Source == nil || sec.Source.ID != w.id || sec.Source.Name != w.name || sec.Status != w.status {
			t.Errorf("section %d: status %s, source %+v; want %s %s %s", i, sec.Status, sec.Source, w.status, w.id, w.name)
			continue
		}
		if w.status == "ok" && (sec.Metrics[0].Value != w.users || sec.TimeZone != "UTC") {
			t.Errorf("section %d: users %v, zone %q", i, sec.Metrics[0].Value, sec.TimeZone)
		}
	}
}
