package reportmail

import (
	"html"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
)

// The e-mail explains a figure that may differ from the provider's own pages as the report
// page does (issue 14, item 7; docs/metrics.md "Data-quality notes"): under each section
// the zone its days are in and its notes, in the HTML and the plain-text part alike.
func TestReportMailShowsZoneAndNotes(t *testing.T) {
	ga := metrics.Section{Provider: metrics.ProviderGA4, Status: metrics.StatusOK, TimeZone: "America/New_York",
		Source:  &metrics.Source{ID: "properties/1001", Name: "Acme Web"},
		Metrics: []metrics.Metric{{Key: "sessions", Label: "Sessions", Value: 1200, Previous: 1000, Unit: metrics.UnitCount, HigherIsBetter: true}},
		Notes: []metrics.Note{
			{Code: metrics.NoteGA4Sampled, Text: "Google Analytics sampled this data: the figures are estimated from 50% of the events, so they can differ slightly from an unsampled report in Google Analytics."},
			{Code: metrics.NoteGA4OtherRow, Text: `Some rows were grouped into "(other)" & not listed <individually>.`},
		}}
	sc := metrics.Section{Provider: metrics.ProviderSearchConsole, Status: metrics.StatusOK, TimeZone: "America/Los_Angeles",
		Source:  &metrics.Source{ID: "sc-domain:example.com", Name: "example.com"},
		Metrics: []metrics.Metric{{Key: "clicks", Label: "Clicks", Value: 40, Previous: 38, Unit: metrics.UnitCount, HigherIsBetter: true}},
		Notes:   []metrics.Note{{Code: metrics.NoteSCDataLag, Text: "Search Console's data for the last days is not final yet (it lags 2–3 days)."}}}
	v := view{doc: &doc{ID: "r1", Title: "Nov 1 – 7, 2026", Status: "done", Sections: []metrics.Section{ga, sc},
		Period: period.Period{Start: period.NewDate(2026, 11, 1), End: period.NewDate(2026, 11, 7),
			PreviousStart: period.NewDate(2026, 10, 25), PreviousEnd: period.NewDate(2026, 10, 31)}},
		data: map[string]string{"unsubscribe": "https://app.example/u/x"}}
	htm, txt := v.html(), v.text()
	for _, s := range []metrics.Section{ga, sc} {
		zone := "Days in " + s.TimeZone
		for _, want := range append([]string{zone}, texts(s.Notes)...) {
			if !strings.Contains(htm, html.EscapeString(want)) {
				t.Errorf("the HTML part lacks %q", want)
			}
			if !strings.Contains(txt, want) {
				t.Errorf("the text part lacks %q", want)
			}
		}
	}
	// Each section's notes stay with that section: the lag note after Search Console's name.
	if i, j := strings.Index(txt, "Search Console"), strings.Index(txt, "lags 2–3 days"); i < 0 || j < i {
		t.Errorf("the Search Console note is not in its section:\n%s", txt)
	}
	if strings.Contains(htm, "<individually>") {
		t.Error("a note's text reached the HTML unescaped")
	}
}

func texts(ns []metrics.Note) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Text)
	}
	return out
}
