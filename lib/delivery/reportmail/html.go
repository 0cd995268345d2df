package reportmail

import (
	"fmt"
	"html"
	"strings"

	"github.com/trymetriqs/metriqs/lib/metrics"
)

// Inline styles: mail clients drop <style> blocks and classes unevenly.
const (
	stBody  = "margin:0;padding:24px;background:#f6f7f9;font-family:Arial,Helvetica,sans-serif;color:#1d2330;"
	stCard  = "max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #dde1e7;border-radius:6px;padding:24px;"
	stTable = "width:100%;border-collapse:collapse;margin:0 0 20px 0;font-size:14px;"
	stTh    = "text-align:left;padding:6px 8px;border-bottom:2px solid #dde1e7;color:#4b5563;font-weight:bold;"
	stTd    = "padding:6px 8px;border-bottom:1px solid #eef0f3;"
	stNum   = "padding:6px 8px;border-bottom:1px solid #eef0f3;text-align:right;white-space:nowrap;"
	stNote  = "margin:0 0 20px 0;padding:10px 12px;background:#fff7e6;border:1px solid #f0d9a7;border-radius:4px;font-size:14px;"
	stLink  = "color:#1d4ed8;"
	stSmall = "font-size:12px;color:#6b7280;"
)

// tones colour a change; the arrow and the word carry the meaning without it.
var tones = map[string]string{"good": "color:#0f7a3d;", "bad": "color:#b42318;", "neutral": "color:#4b5563;"}

func esc(s string) string { return html.EscapeString(s) }

func link(url, label string) string {
	return `<a href="` + esc(url) + `" style="` + stLink + `">` + esc(label) + `</a>`
}

// html is the HTML part: a table layout with inline styles.
func (v view) html() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>` + esc(v.subject()) + `</title></head>`)
	b.WriteString(`<body style="` + stBody + `"><div style="` + stCard + `">`)
	if v.data["test"] == "1" {
		b.WriteString(`<p style="` + stNote + `"><strong>Test:</strong> only you received this e-mail.</p>`)
	}
	fmt.Fprintf(&b, `<h1 style="font-size:20px;margin:0 0 4px 0;">%s</h1><p style="margin:0 0 20px 0;%s">Compared with %s (%s to %s).</p>`,
		esc(v.doc.Title), stSmall, esc(compared(v.doc.Period)), v.doc.Period.PreviousStart, v.doc.Period.PreviousEnd)
	if v.data["added_by"] != "" {
		b.WriteString(`<p style="` + stNote + `">` + esc(adder(v.data)) + ` added you to the recipients of this report. You can ` + link(v.data["unsubscribe"], "unsubscribe") + ` at any time.</p>`)
	}
	for _, s := range v.doc.Sections {
		v.section(&b, s)
	}
	if l := v.data["link"]; l != "" {
		label := "View the full report"
		if v.owner {
			label = "Open the report in Metriqs"
		}
		b.WriteString(`<p style="margin:0 0 20px 0;">` + link(l, label) + `</p>`)
	}
	b.WriteString(`<p style="` + stSmall + `">` + esc(v.footer()) + ` ` + link(v.data["unsubscribe"], "Unsubscribe") + `</p>`)
	b.WriteString(`</div></body></html>`)
	return b.String()
}

// section writes one section: its KPI table, or the line that says it is not included.
func (v view) section(b *strings.Builder, s metrics.Section) {
	b.WriteString(`<h2 style="font-size:16px;margin:0 0 8px 0;">` + esc(sectionName(s)) + `</h2>`)
	if s.Status != metrics.StatusOK {
		line := "This section could not be included this time."
		if v.owner {
			line = "Not included: " + s.Error + " "
		}
		b.WriteString(`<p style="` + stNote + `">` + esc(line))
		if v.owner {
			b.WriteString(link(v.data["reconnect"], "Reconnect or check it"))
		}
		b.WriteString(`</p>`)
		return
	}
	b.WriteString(`<table role="presentation" cellpadding="0" cellspacing="0" style="` + stTable + `"><tr>`)
	for _, h := range []string{"Metric", "Value", "Previous", "Change"} {
		b.WriteString(`<th scope="col" style="` + stTh + `">` + h + `</th>`)
	}
	b.WriteString(`</tr>`)
	for _, m := range s.Metrics {
		c, tone := change(m)
		fmt.Fprintf(b, `<tr><td style="%s">%s</td><td style="%s">%s</td><td style="%s">%s</td><td style="%s%s">%s</td></tr>`,
			stTd, esc(m.Label), stNum, esc(value(m.Value, m.Unit)), stNum, esc(previous(m)), stNum, tones[tone], esc(c))
	}
	b.WriteString(`</table>`)
	for _, line := range explanations(s) {
		b.WriteString(`<p style="margin:0 0 8px 0;` + stSmall + `">` + esc(line) + `</p>`)
	}
}
