package reportmail

import (
	"fmt"
	"math"
	"strings"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
)

var names = map[string]string{
	metrics.ProviderGA4: "Google Analytics", metrics.ProviderSearchConsole: "Search Console",
	metrics.ProviderStripe: "Stripe", metrics.ProviderGitHub: "GitHub", metrics.ProviderDemo: "Demo data",
}

// sectionName is the provider's name and, when known, what the section covers.
func sectionName(s metrics.Section) string {
	n, ok := names[s.Provider]
	if !ok {
		n = s.Provider
	}
	if s.Source != nil && s.Source.Name != "" {
		n += " — " + s.Source.Name
	}
	return n
}

// value formats a metric's value in its unit.
func value(v float64, unit string) string {
	switch {
	case unit == metrics.UnitPercent:
		return fmt.Sprintf("%.2f %%", v)
	case unit == metrics.UnitPosition:
		return fmt.Sprintf("%.1f", v)
	case strings.HasPrefix(unit, "currency:"):
		return fmt.Sprintf("%s %s", grouped(v, 2), strings.ToUpper(strings.TrimPrefix(unit, "currency:")))
	}
	return grouped(v, 0)
}

// grouped writes v with thousands separators and the given decimals.
func grouped(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, math.Abs(v))
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if v < 0 {
		out = "-" + out
	}
	return out
}

// change is a metric's change as an arrow, the figure and a word: ▲/▼ say the direction,
// "better"/"worse" what it means, so nothing relies on colour. tone is good, bad or neutral.
func change(m metrics.Metric) (text, tone string) {
	if m.Snapshot {
		return "as of now", "neutral"
	}
	var d float64
	var figure string
	switch {
	case m.ChangePP != nil:
		d, figure = *m.ChangePP, fmt.Sprintf("%.2f pp", math.Abs(*m.ChangePP))
	case m.ChangePct != nil:
		d, figure = *m.ChangePct, fmt.Sprintf("%.1f %%", math.Abs(*m.ChangePct))
	default:
		return "no previous value", "neutral"
	}
	if math.Abs(d) < 0.05 {
		return "no change", "neutral"
	}
	arrow, good := "▲", m.HigherIsBetter
	if d < 0 {
		arrow, good = "▼", !m.HigherIsBetter
	}
	if good {
		return arrow + " " + figure + " better", "good"
	}
	return arrow + " " + figure + " worse", "bad"
}

// explanations are what the report page says under a section's heading so that a figure
// that differs from the provider's own pages is explained (docs/metrics.md, "Data-quality
// notes"): the zone whose days it counts, then its notes (sampling, thresholding, lag, …).
func explanations(s metrics.Section) []string {
	var out []string
	if s.TimeZone != "" {
		out = append(out, "Days in "+s.TimeZone+".")
	}
	for _, n := range s.Notes {
		out = append(out, n.Text)
	}
	return out
}

func compared(p period.Period) string {
	if p.Compare == period.PreviousYear {
		return "the same days a year earlier"
	}
	return "the period before"
}

// text is the plain-text part: the same numbers as the HTML part.
func (v view) text() string {
	var b strings.Builder
	if v.data["test"] == "1" {
		b.WriteString("TEST: only you received this e-mail.\n\n")
	}
	fmt.Fprintf(&b, "Metriqs report: %s\nCompared with %s (%s to %s).\n\n", v.doc.Title, compared(v.doc.Period), v.doc.Period.PreviousStart, v.doc.Period.PreviousEnd)
	if by := v.data["added_by"]; by != "" {
		fmt.Fprintf(&b, "%s added you to the recipients of this report. To stop receiving it: %s\n\n", adder(v.data), v.data["unsubscribe"])
	}
	for _, s := range v.doc.Sections {
		b.WriteString(sectionName(s) + "\n")
		if s.Status != metrics.StatusOK {
			b.WriteString("  " + v.missingLine(s) + "\n\n")
			continue
		}
		for _, m := range s.Metrics {
			c, _ := change(m)
			fmt.Fprintf(&b, "  %s: %s (previous %s, %s)\n", m.Label, value(m.Value, m.Unit), previous(m), c)
		}
		for _, line := range explanations(s) {
			b.WriteString("  " + line + "\n")
		}
		b.WriteString("\n")
	}
	if link := v.data["link"]; link != "" {
		fmt.Fprintf(&b, "The full report: %s\n", link)
	}
	fmt.Fprintf(&b, "\n--\n%s\nUnsubscribe: %s\n", v.footer(), v.data["unsubscribe"])
	return b.String()
}

func previous(m metrics.Metric) string {
	if m.Snapshot {
		return "—"
	}
	return value(m.Previous, m.Unit)
}

func adder(data map[string]string) string {
	if n := data["added_by_name"]; n != "" {
		return n + " (" + data["added_by"] + ")"
	}
	return data["added_by"]
}

// missingLine says a section could not be included: the owner why and how to fix it, the
// other recipients a neutral note.
func (v view) missingLine(s metrics.Section) string {
	if v.owner {
		return "Not included: " + s.Error + " Reconnect or check it: " + v.data["reconnect"]
	}
	return "This section could not be included this time."
}

func (v view) footer() string {
	if v.owner {
		return "You receive this because of a schedule in your Metriqs account."
	}
	return "You receive this because a Metriqs user added you to a report schedule."
}
