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
	stripe := metrics.Section{Provider: metrics.ProviderStripe, Status: metrics.StatusOK, Source: &metrics.Source{ID: "acct_123"}, Metrics: []metrics.Metric{
		{Key: "mrr_usd", Label: "MRR (USD)", Unit: "currency:usd", Value: 1234.5, HigherIsBetter: true, Snapshot: true},
	}}
	failed := metrics.Section{Provider: metrics.ProviderGitHub, Status: metrics.StatusFailed, Error: "Reconnect GitHub: access was revoked or has expired."}
	return Input{Period: p, Sections: []metrics.Section{demo, stripe, failed}}
}

// col reads a row by column name.
func col(header, row []string, name string) string {
	for i, h := range header {
		if h == name {
			return row[i]
		}
	}
	panic("no column " + name)
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, input()); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "section,source,table,key,label,date,previous_date,dimension,value,previous,change,change_unit,unit,period_start,period_end,previous_start,previous_end,compare\r\n") {
		t.Errorf("header/line end: %q", raw[:160])
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
	h := rows[0]
	want := map[string]map[string]string{
		"visitors": {"section": "demo", "table": "kpi", "label": "Visitors, all \"real\"\npeople", "value": "1500", "previous": "1000", "change": "50", "change_unit": "percent", "unit": "count",
			"period_start": "2026-11-01", "period_end": "2026-11-30", "previous_start": "2026-10-01", "previous_end": "2026-10-31", "compare": "previous_period"},
		"net":     {"label": "'=HYPERLINK(\"http://evil\",\"click\")", "value": "-12.5", "previous": "0", "change": "", "change_unit": "", "unit": "currency:usd"},
		"a":       {"label": "'@SUM(A1:A9)", "change": "-50"},
		"b":       {"label": "'-2+3", "change": "-66.67"},
		"c":       {"label": "'+cmd|' /C calc'!A0", "change": ""},
		"d":       {"label": "'\t=1+1"},
		"e":       {"label": "-5"}, // a plain number stays a number
		"mrr_usd": {"section": "stripe", "source": "acct_123", "value": "1234.5", "previous": "", "change": ""},
	}
	for _, r := range rows[1:] {
		w, ok := want[col(h, r, "key")]
		if !ok {
			t.Errorf("unexpected row %q", r)
			continue
		}
		for name, cell := range w {
			if got := col(h, r, name); got != cell {
				t.Errorf("row %s column %s = %q, want %q", col(h, r, "key"), name, got, cell)
			}
		}
	}
}

// The daily series and the top lists are rows too, so a spreadsheet can rebuild the charts
// (day i against day i of the comparison span) and the lists; rates change in points.
func TestWriteSeriesTablesAndPoints(t *testing.T) {
	p := period.Period{Start: date("2026-11-01"), End: date("2026-11-02"), PreviousStart: date("2025-11-01"), PreviousEnd: date("2025-11-02"), Compare: period.PreviousYear}
	sec := metrics.Section{Provider: metrics.ProviderSearchConsole, Status: metrics.StatusOK, Source: &metrics.Source{ID: "sc-domain:example.com"},
		Metrics: []metrics.Metric{metrics.NewMetric("ctr", "CTR", metrics.UnitPercent, 1.95, 1.9, true)},
		Series: []metrics.Series{{Key: "ctr", Label: "CTR",
			Points:   []metrics.Point{{Date: date("2026-11-01"), Value: 2}, {Date: date("2026-11-02"), Value: 1.9}},
			Previous: []metrics.Point{{Date: date("2025-11-01"), Value: 1.5}}}},
		Tables: []metrics.Table{{Key: "top_queries", Title: "Top queries", Columns: []string{"Query", "Clicks", "CTR"},
			Rows: [][]string{{"=cmd", "1234", "2.5%"}, {"new", "5", "1%"}}, Previous: []string{"1000", "0"}}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, Input{Period: p, Sections: []metrics.Section{sec}}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h := rows[0]
	got := make([]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		got = append(got, strings.Join([]string{col(h, r, "source"), col(h, r, "table"), col(h, r, "key"), col(h, r, "date"), col(h, r, "previous_date"),
			col(h, r, "dimension"), col(h, r, "value"), col(h, r, "previous"), col(h, r, "change"), col(h, r, "change_unit"), col(h, r, "unit"), col(h, r, "compare")}, "|"))
	}
	want := []string{
		"sc-domain:example.com|kpi|ctr||||1.95|1.9|0.05|pp|percent|previous_year",
		"sc-domain:example.com|series|ctr|2026-11-01|2025-11-01||2|1.5|||percent|previous_year",
		"sc-domain:example.com|series|ctr|2026-11-02|||1.9||||percent|previous_year",
		"sc-domain:example.com|top:top_queries|Clicks|||'=cmd|1234|1000|23.4|percent||previous_year",
		"sc-domain:example.com|top:top_queries|CTR|||'=cmd|2.5|||||previous_year",
		"sc-domain:example.com|top:top_queries|Clicks|||new|5|0||||previous_year",
		"sc-domain:example.com|top:top_queries|CTR|||new|1|||||previous_year",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFileName(t *testing.T) {
	p := period.Period{Start: date("2026-11-23"), End: date("2026-11-29")}
	if got := FileName(p); got != "metriqs-report-2026-11-23-to-2026-11-29.csv" {
		t.Errorf("FileName = %q", got)
	}
	p.Compare = period.PreviousYear
	if got := FileName(p); got != "metriqs-report-2026-11-23-to-2026-11-29-vs-previous-year.csv" {
		t.Errorf("FileName = %q", got)
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
