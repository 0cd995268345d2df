package mail

import (
	"net/url"
	"strings"
)

// Body is the shared look of every account e-mail: build Content with it instead of writing
// HTML. Every value is plain text; Render escapes it.
type Body struct {
	Heading    string
	Paragraphs []string
	// Button is the one call to action, optional.
	Button *Link
	// Details are label/value rows (time, IP address, device), optional.
	Details [][2]string
	// Footer says why the recipient got this e-mail.
	Footer string
}

// Link is a labelled URL.
type Link struct{ Label, URL string }

// Inline styles: mail clients drop <style> blocks and never run scripts; no image is remote
// (or present), so opening the message tells no one anything.
const (
	styleOuter   = "margin:0;padding:24px 12px;background:#f4f5f7;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2328"
	styleCard    = "max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d8dee4;border-radius:8px;padding:28px"
	styleHeading = "margin:0 0 16px;font-size:20px;line-height:1.3;font-weight:600"
	stylePara    = "margin:0 0 14px;font-size:15px;line-height:1.55"
	styleButton  = "display:inline-block;padding:11px 20px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;font-size:15px"
	styleLink    = "margin:8px 0 18px;font-size:13px;line-height:1.5;color:#57606a;word-break:break-all"
	styleTable   = "border-collapse:collapse;margin:4px 0 18px;font-size:14px"
	styleLabel   = "padding:4px 16px 4px 0;color:#57606a;vertical-align:top;white-space:nowrap"
	styleValue   = "padding:4px 0;vertical-align:top"
	styleFooter  = "max-width:560px;margin:16px auto 0;font-size:12px;line-height:1.5;color:#57606a"
)

// Render builds both parts of a message from b: the text part for clients that show no HTML
// (and for the spam filters that compare the two), the HTML part escaped and inline-styled.
func (b Body) Render(subject string) Content {
	return Content{Subject: subject, Text: b.text(), HTML: b.html()}
}

func (b Body) text() string {
	var s strings.Builder
	line := func(v string) { s.WriteString(v + "\n\n") }
	if b.Heading != "" {
		line(b.Heading)
	}
	for _, p := range b.Paragraphs {
		line(p)
	}
	if b.Button != nil && safeURL(b.Button.URL) {
		line(b.Button.Label + ":\n" + b.Button.URL)
	}
	for _, d := range b.Details {
		s.WriteString(d[0] + ": " + d[1] + "\n")
	}
	if len(b.Details) > 0 {
		s.WriteString("\n")
	}
	if b.Footer != "" {
		line("-- \n" + b.Footer)
	}
	return strings.TrimRight(s.String(), "\n") + "\n"
}

func (b Body) html() string {
	var s strings.Builder
	e := escape
	s.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>` +
		e(b.Heading) + `</title></head><body style="` + styleOuter + `"><div style="` + styleCard + `">`)
	if b.Heading != "" {
		s.WriteString(`<h1 style="` + styleHeading + `">` + e(b.Heading) + `</h1>`)
	}
	for _, p := range b.Paragraphs {
		s.WriteString(`<p style="` + stylePara + `">` + e(p) + `</p>`)
	}
	b.writeButton(&s)
	b.writeDetails(&s)
	s.WriteString(`</div>`)
	if b.Footer != "" {
		s.WriteString(`<p style="` + styleFooter + `">` + e(b.Footer) + `</p>`)
	}
	s.WriteString(`</body></html>`)
	return s.String()
}

// writeButton writes the call to action, and its URL in full beneath it: a reader should
// see where the button goes, and a client that breaks the button still has the link.
func (b Body) writeButton(s *strings.Builder) {
	if b.Button == nil || !safeURL(b.Button.URL) {
		return
	}
	u, label := escape(b.Button.URL), escape(b.Button.Label)
	s.WriteString(`<p style="margin:20px 0 8px"><a href="` + u + `" style="` + styleButton + `">` + label + `</a></p>`)
	s.WriteString(`<p style="` + styleLink + `">` + u + `</p>`)
}

func (b Body) writeDetails(s *strings.Builder) {
	if len(b.Details) == 0 {
		return
	}
	s.WriteString(`<table role="presentation" style="` + styleTable + `">`)
	for _, d := range b.Details {
		s.WriteString(`<tr><td style="` + styleLabel + `">` + escape(d[0]) + `</td><td style="` + styleValue + `">` + escape(d[1]) + `</td></tr>`)
	}
	s.WriteString(`</table>`)
}

// escape is html.EscapeString's five replacements. Importing package html would link its
// table of 2,231 named entities (65 KB) into every function that enqueues mail.
var escape = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;").Replace

// safeURL keeps the button to http(s) links: escaping stops markup, not a javascript: or
// data: URL put in by a bug upstream.
func safeURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !hasUnsafe(raw)
}
