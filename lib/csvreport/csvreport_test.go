package csvreport

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
)

func date(s string) period.Date {
	d, err := period.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func input() Input {
	p := period.Period{Start: date("2026-11-01"), End: date("2026-11-30"), PreviousStart: date("2026-10-01"), PreviousEnd: date("2026-10-31")}
	demo := metrics.Section{Provider: metrics.ProviderDemo, Status: metrics.StatusOK, Metrics: []metrics.Metric{
		metrics.NewMetric("visitors", "Visitors, all \"real\"\npeople", metrics.UnitCount, 1500, 1000, true),
		metrics.NewMetric("net", "=HYPERLINK(\"http://evil\",\"click\")", metrics.UnitCurrency("usd"), -12.5, 0, true),
		metrics.NewMetric("a", "@SUM(A1:A9)", metrics.UnitCount, 1, 2, true),
		metrics.NewMetric("b", "-2+3", metrics.UnitCount, 0.1, 0.3, false),
		metrics.NewMetric("c", "+cmd|' /C calc'!A0", metrics.UnitCount, 0, 0, true),
		metrics.NewMetric("d", "\t=1+1", metrics.UnitCount, 0, 0, true),
		metrics.NewMetric("e", "-5", metrics.UnitCount, 0, 0, true),
	}}
	stripe := metrics.Section{Provider: metrics.ProviderStripe, Status: metrics.StatusOK, Metrics: []metrics.Metric{
		{Key: "mrr_usd", Label: "MRR (USD)", Unit: "currency:usd", Value: 1234.5, HigherIsBetter: true, Snapshot: true},
	}}
	failed := metrics.Section{Provider: metrics.ProviderGitHub, Status: metrics.StatusFailed, Error: "Reconnect GitHub: access was revoked or has expired."}
	return Input{Period: p, Sections: []metrics.Section{demo, stripe, failed}}
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, input()); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "section,metric,label,value,previous,change_pct,unit,period_start,period_end,previous_start,previous_end\r\n") {
		t.Errorf("header/line end: %q", raw[:120])
	}
	// RFC 4180: the quoted label keeps its comma, doubled quotes and line break (written as
	// CRLF like every line end; readers give back "\n").
	if !strings.Contains(raw, "\"Visitors, all \"\"real\"\"\r\npeople\"") {
		t.Errorf("quoting: %q", raw)
	}
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+7+1 {
		t.Fatalf("%d rows, want header + 7 demo + 1 stripe (none for the failed section)", len(rows))
	}
	want := map[string][]string{
		"visitors": {"demo", "visitors", "Visitors, all \"real\"\npeople", "1500", "1000", "50", "count", "2026-11-01", "2026-11-30", "2026-10-01", "2026-10-31"},
		"net":      {"demo", "net", "'=HYPERLINK(\"http://evil\",\"click\")", "-12.5", "0", "", "currency:usd"},
		"a":        {"demo", "a", "'@SUM(A1:A9)", "1", "2", "-50", "count"},
		"b":        {"demo", "b", "'-2+3", "0.1", "0.3", "-66.67", "count"},
		"c":        {"demo", "c", "'+cmd|' /C calc'!A0", "0", "0", "", "count"},
		"d":        {"demo", "d", "'\t=1+1"},
		"e":        {"demo", "e", "-5"}, // a plain number stays a number
		"mrr_usd":  {"stripe", "mrr_usd", "MRR (USD)", "1234.5", "", "", "currency:usd"},
	}
	for _, r := range rows[1:] {
		w, ok := want[r[1]]
		if !ok {
			t.Errorf("unexpected row %q", r)
			continue
		}
		for i, cell := range w {
			if r[i] != cell {
				t.Errorf("row %s column %s = %q, want %q", r[1], rows[0][i], r[i], cell)
			}
		}
	}
}

func TestWriteEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Input{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\r\n"); got != 1 {
		t.Errorf("empty report: %q", buf.String())
	}
}
