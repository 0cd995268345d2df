// Package csvreport writes a report as CSV: one row per metric per section, RFC 4180 quoting
// (encoding/csv, CRLF line ends), and no cell a spreadsheet would run as a formula.
package csvreport

import (
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

// Header is the first row; the columns are the contract of GET /api/reports/{id}?format=csv.
var Header = []string{"section", "metric", "label", "value", "previous", "change_pct", "unit",
	"period_start", "period_end", "previous_start", "previous_end"}

// Write writes in as CSV. A failed section has no metrics and so no rows; a snapshot metric
// (Stripe MRR) has empty previous and change_pct cells, as does a change from zero.
func Write(w io.Writer, in Input) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 §2: records end with CRLF
	if err := cw.Write(Header); err != nil {
		return err
	}
	p := in.Period
	dates := []string{p.Start.String(), p.End.String(), p.PreviousStart.String(), p.PreviousEnd.String()}
	for _, s := range in.Sections {
		for _, m := range s.Metrics {
			prev, change := number(m.Previous), ""
			if m.ChangePct != nil {
				change = number(*m.ChangePct)
			}
			if m.Snapshot {
				prev, change = "", ""
			}
			row := append([]string{text(s.Provider), text(m.Key), text(m.Label), number(m.Value), prev, change, text(m.Unit)}, dates...)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
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
