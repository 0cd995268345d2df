package csvreport

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
)

// Every row names what its section covers (issue 14, items 9 and 14): the name the provider
// gives (a GA4 property's display name) or else the id, so two properties of one provider
// stay apart; a name is the customer's text, so one a spreadsheet would evaluate is
// neutralised like any label.
func TestWriteNamesEachSource(t *testing.T) {
	p := period.Period{Start: date("2026-11-01"), End: date("2026-11-07"), PreviousStart: date("2026-10-25"), PreviousEnd: date("2026-10-31")}
	section := func(src *metrics.Source) metrics.Section {
		return metrics.Section{Provider: metrics.ProviderGA4, Status: metrics.StatusOK, Source: src,
			Metrics: []metrics.Metric{metrics.NewMetric("sessions", "Sessions", metrics.UnitCount, 10, 8, true)}}
	}
	var buf bytes.Buffer
	err := Write(&buf, Input{Period: p, Sections: []metrics.Section{
		section(&metrics.Source{ID: "properties/1001", Name: "Acme Web"}),
		section(&metrics.Source{ID: "properties/1002"}),
		section(&metrics.Source{ID: "properties/1003", Name: "=HYPERLINK(\"http://evil\")"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows[1:] {
		if col(rows[0], r, "table") == "kpi" {
			got = append(got, col(rows[0], r, "source"))
		}
	}
	want := []string{"Acme Web", "properties/1002", "'=HYPERLINK(\"http://evil\")"}
	if len(got) != len(want) {
		t.Fatalf("sources %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("section %d source %q, want %q", i, got[i], want[i])
		}
	}
}
