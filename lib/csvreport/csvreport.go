// Package csvreport writes a report as CSV: one row per metric per section, RFC 4180 quoting
// (encoding/csv, CRLF line ends), and no cell a spreadsheet would run as a formula.
package csvreport

import (
	"cmp"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
)

// Input is what the CSV needs from a report. It is deliberately smaller than a stored report,
// so that this package depends on nothing but the period and the sections.
type Input struct {
	Period   period.Period
	Sections []metrics.Section
}

// Header is the first row; the columns are the contract of GET /api/reports/{id}?format=csv
// (docs/metrics.md, "CSV layout"). The layout is tidy: one observation a row, so that a
// spreadsheet's pivot table or filter rebuilds each KPI card, chart and top list.
//
//   - table "kpi": a metric's totals; date empty; change is in change_unit ("percent", or
//     "pp" for a rate).
//   - table "series": one day of a chart; date is the day, previous_date the day of the
//     comparison span at the same position, previous its value there.
//   - table "top:<key>": one number of a top list; dimension is the row (a page, a query),
//     key the column, label the list's title. The list's first figure (column 1) also has
//     its value over the comparison span in previous, and the change in percent, where the
//     provider compares its top lists (GA4, Search Console).
//
// The period columns repeat on every row so that any row stands alone.
var Header = []string{"section", "source", "table", "key", "label", "date", "previous_date", "dimension",
	"value", "previous", "change", "change_unit", "unit",
	"period_start", "period_end", "previous_start", "previous_end", "compare"}

// Write writes in as CSV. A failed section has no rows; a snapshot metric (Stripe MRR) has
// empty previous and change cells, as does a change from zero.
func Write(w io.Writer, in Input) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 §2: records end with CRLF
	if err := cw.Write(Header); err != nil {
		return err
	}
	p := in.Period
	tail := []string{p.Start.String(), p.End.String(), p.PreviousStart.String(), p.PreviousEnd.String(), string(p.Compare.OrDefault())}
	for _, s := range in.Sections {
		head := []string{text(s.Provider), text(sourceName(s))}
		for _, r := range sectionRows(s) {
			if err := cw.Write(append(append(append([]string{}, head...), r...), tail...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// sectionRows are a section's rows from "table" to "unit".
func sectionRows(s metrics.Section) [][]string {
	var rows [][]string
	for _, m := range s.Metrics {
		rows = append(rows, kpiRow(m))
	}
	units := map[string]string{}
	for _, m := range s.Metrics {
		units[m.Key] = m.Unit
	}
	for _, se := range s.Series {
		rows = append(rows, seriesRows(se, cmp.Or(units[se.Key], metrics.UnitCount))...)
	}
	for _, t := range s.Tables {
		rows = append(rows, tableRows(t)...)
	}
	return rows
}

func kpiRow(m metrics.Metric) []string {
	prev, change, unit := number(m.Previous), "", ""
	switch {
	case m.Snapshot:
		prev = ""
	case m.ChangePP != nil:
		change, unit = number(*m.ChangePP), "pp"
	case m.ChangePct != nil:
		change, unit = number(*m.ChangePct), "percent"
	}
	return []string{"kpi", text(m.Key), text(m.Label), "", "", "", number(m.Value), prev, change, unit, text(m.Unit)}
}

// seriesRows pairs day i of the period with day i of the comparison span, as the chart does.
func seriesRows(se metrics.Series, unit string) [][]string {
	rows := make([][]string, 0, len(se.Points))
	for i, pt := range se.Points {
		prevDate, prev := "", ""
		if i < len(se.Previous) {
			prevDate, prev = se.Previous[i].Date.String(), number(se.Previous[i].Value)
		}
		rows = append(rows, []string{"series", text(se.Key), text(se.Label), pt.Date.String(), prevDate, "", number(pt.Value), prev, "", "", text(unit)})
	}
	return rows
}

// tableRows gives each numeric cell of a top list its row; the first column names the row.
func tableRows(t metrics.Table) [][]string {
	var rows [][]string
	for j, r := range t.Rows {
		if len(r) == 0 {
			continue
		}
		for i := 1; i < len(r) && i < len(t.Columns); i++ {
			v := strings.TrimSuffix(strings.ReplaceAll(r[i], ",", ""), "%")
			cur, err := strconv.ParseFloat(v, 64)
			if err != nil {
				v = text(r[i]) // a text cell stays text
			}
			prev, change, unit := "", "", ""
			if i == 1 && j < len(t.Previous) && err == nil {
				if p, perr := strconv.ParseFloat(t.Previous[j], 64); perr == nil {
					prev = number(p)
					if c := metrics.ChangePct(cur, p); c != nil {
						change, unit = number(*c), "percent"
					}
				}
			}
			rows = append(rows, []string{"top:" + text(t.Key), text(t.Columns[i]), text(t.Title), "", "", text(r[0]), v, prev, change, unit, ""})
		}
	}
	return rows
}

// sourceName is what the section covers, by name when the provider gave one.
func sourceName(s metrics.Section) string {
	if s.Source == nil {
		return ""
	}
	return cmp.Or(s.Source.Name, s.Source.ID)
}

// FileName is the attachment's name: the period's dates, and the comparison when it is not
// the default ("metriqs-report-2026-11-23-to-2026-11-29.csv"). ASCII only, so it needs no
// encoding in Content-Disposition.
func FileName(p period.Period) string {
	name := "metriqs-report-" + p.Start.String() + "-to-" + p.End.String()
	if p.Compare == period.PreviousYear {
		name += "-vs-previous-year"
	}
	return name + ".csv"
}

// number formats a figure in full precision, with a dot, never in exponent form.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// text neutralises a text cell that a spreadsheet would evaluate: one starting with = + - @
// (or a tab or carriage return, which some import paths strip before evaluating) gets a
// leading apostrophe, which spreadsheets show as text (OWASP "CSV Injection"). Labels and
// table cells can come from outside (a GA4 page path, a search query), so this matters.
// Text that is a plain number ("-5") is left alone: a spreadsheet reads it as that number.
func text(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
