package mailcatcher

import (
	"html"
	"slices"
	"strconv"
	"strings"
)

// The mailbox pages are built with strings.Builder and html.EscapeString, as the functions'
// pages are: everything that comes from a message is escaped where it is written.

// frameCSP is repeated inside the srcdoc document (which also inherits pageCSP): a message's
// HTML may style itself and show data: images, nothing more.
const frameCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

const style = `body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}main{padding:16px 24px}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
th{font-weight:600;background:#eaeef2}pre{white-space:pre-wrap;background:#fff;border:1px solid #d0d7de;padding:12px}
iframe{width:100%;height:640px;border:1px solid #d0d7de;background:#fff}section{margin-bottom:24px}
button{font:inherit;padding:4px 12px}.empty{color:#57606a}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{font-weight:600}`

func page(title, body string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title><style>` + style + `</style></head><body><header><a href="` + Prefix + `">Local mailbox</a><span>messages caught by go run ./cmd/dev; nothing leaves this machine</span></header><main>`)
	b.WriteString(body)
	b.WriteString(`</main></body></html>`)
	return b.String()
}

func listHTML(msgs []Message) string {
	var b strings.Builder
	b.WriteString(`<form method="post" action="` + Prefix + `/clear"><h1>Messages (` + strconv.Itoa(len(msgs)) + `) <button type="submit">Delete all</button></h1></form>`)
	if len(msgs) == 0 {
		b.WriteString(`<p class="empty">No mail yet. Whatever the local server sends appears here.</p>`)
		return page("Local mailbox", b.String())
	}
	b.WriteString(`<table><thead><tr><th>Received</th><th>To</th><th>From</th><th>Subject</th></tr></thead><tbody>`)
	for _, m := range msgs {
		b.WriteString(`<tr><td>` + esc(m.Received.Format("2006-01-02 15:04:05")) + `</td><td>` + esc(cmpOr(m.To, strings.Join(m.Recipients, ", "))) +
			`</td><td>` + esc(m.From) + `</td><td><a href="` + Prefix + `/m/` + esc(m.ID) + `">` + esc(cmpOr(m.Subject, "(no subject)")) + `</a></td></tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return page("Local mailbox", b.String())
}

func messageHTML(m Message) string {
	var b strings.Builder
	b.WriteString(`<h1>` + esc(cmpOr(m.Subject, "(no subject)")) + `</h1><dl>`)
	for _, row := range [][2]string{{"From", m.From}, {"To", m.To}, {"Delivered to", strings.Join(m.Recipients, ", ")}, {"Received", m.Received.Format("2006-01-02 15:04:05 UTC")}} {
		b.WriteString(`<dt>` + row[0] + `</dt><dd>` + esc(row[1]) + `</dd>`)
	}
	b.WriteString(`</dl>`)
	if m.Error != "" {
		b.WriteString(`<p><strong>Could not be parsed fully:</strong> ` + esc(m.Error) + `</p>`)
	}
	writeLinks(&b, m.Links)
	if m.HTML != "" {
		// No allow-scripts and no allow-same-origin: the message runs in an opaque origin with
		// no script; a click on one of its links may navigate this tab to it (base target).
		srcdoc := `<meta http-equiv="Content-Security-Policy" content="` + frameCSP + `"><base target="_top">` + m.HTML
		b.WriteString(`<section><h2>HTML</h2><iframe title="HTML part" sandbox="allow-top-navigation-by-user-activation" referrerpolicy="no-referrer" srcdoc="` + esc(srcdoc) + `"></iframe></section>`)
	}
	b.WriteString(`<section><h2>Text</h2><pre>` + esc(cmpOr(m.Text, "(no text part)")) + `</pre></section>`)
	writeAttachments(&b, m)
	writeHeaders(&b, m)
	return page(cmpOr(m.Subject, "Message")+" — local mailbox", b.String())
}

// writeLinks lists the message's links as plain anchors of this page: the way to follow one
// without the HTML part, and what the browser tests click.
func writeLinks(b *strings.Builder, links []string) {
	if len(links) == 0 {
		return
	}
	b.WriteString(`<section><h2>Links</h2><ul class="links">`)
	for _, l := range links {
		b.WriteString(`<li><a href="` + esc(l) + `" rel="noreferrer">` + esc(l) + `</a></li>`)
	}
	b.WriteString(`</ul></section>`)
}

func writeAttachments(b *strings.Builder, m Message) {
	if len(m.Attachments) == 0 {
		return
	}
	b.WriteString(`<section><h2>Attachments</h2><ul>`)
	for i, a := range m.Attachments {
		href := Prefix + "/m/" + m.ID + "/attachments/" + strconv.Itoa(i)
		b.WriteString(`<li><a href="` + esc(href) + `" download>` + esc(cmpOr(a.Name, "attachment-"+strconv.Itoa(i))) + `</a> (` + esc(a.ContentType) + `, ` + strconv.Itoa(len(a.Data)) + ` bytes)</li>`)
	}
	b.WriteString(`</ul></section>`)
}

func writeHeaders(b *strings.Builder, m Message) {
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	b.WriteString(`<section><h2>Headers</h2><table><tbody>`)
	for _, k := range names {
		for _, v := range m.Headers[k] {
			b.WriteString(`<tr><th>` + esc(k) + `</th><td>` + esc(v) + `</td></tr>`)
		}
	}
	b.WriteString(`</tbody></table><p><a href="` + Prefix + `/m/` + esc(m.ID) + `/raw">Download the message as received (.eml)</a></p></section>`)
}

func notFoundHTML() string {
	return page("Not found — local mailbox", `<h1>No such message</h1><p class="empty">It may have been deleted, or the local server restarted (messages are kept in memory).</p>`)
}

func esc(s string) string { return html.EscapeString(s) }
