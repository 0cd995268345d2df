package sandbox

import (
	"html"
	"net/http"
	"strings"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// The pages are built with html.EscapeString rather than html/template: text/template's
// reflection makes the linker keep every exported method of every type, which put this
// function over the 10 MB limit (16 MB). Every value written into them is escaped here.
//
// They hold no script and no style attribute or element: the site's CSP is
// default-src 'self', and the pages need neither. The consent form posts to the page itself.
//
// The referrer policy is strict-origin, not no-referrer: under no-referrer Chromium sends
// "Origin: null" with the form's POST, which the cross-site check rightly refuses.

const pageHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="strict-origin">
<title>Demo data · `

type consentPage struct {
	AccountID, AccountName string
	Action, RequestID      string
	Scopes                 []provider.Scope
}

func (c consentPage) render() string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(pageHead + "Authorize Metriqs</title>\n</head>\n<body>\n<main>\n<h1>Demo data sandbox</h1>\n")
	b.WriteString("<p><strong>Metriqs</strong> wants to read the synthetic data of the sandbox account <strong>" +
		e(c.AccountName) + "</strong> (<code>" + e(c.AccountID) + "</code>).</p>\n")
	b.WriteString(`<form method="post" action="` + e(c.Action) + `">` + "\n")
	b.WriteString(`<input type="hidden" name="request" value="` + e(c.RequestID) + `">` + "\n")
	b.WriteString("<fieldset>\n<legend>Permissions</legend>\n")
	for _, s := range c.Scopes {
		b.WriteString(`<p><label><input type="checkbox" name="scope" value="` + e(s.Name) + `" checked> <code>` +
			e(s.Name) + "</code>: " + e(s.Reason) + "</label></p>\n")
	}
	b.WriteString("</fieldset>\n<p>\n" +
		`<button type="submit" name="decision" value="allow">Allow</button>` + "\n" +
		`<button type="submit" name="decision" value="deny">Deny</button>` + "\n</p>\n</form>\n" +
		"<p>This is a sandbox: no real account is involved, and nothing you choose here leaves Metriqs.</p>\n" +
		"</main>\n</body>\n</html>\n")
	return b.String()
}

func errorHTML(title, message string) string {
	e := html.EscapeString
	return pageHead + e(title) + "</title>\n</head>\n<body>\n<main>\n<h1>" + e(title) + "</h1>\n<p>" + e(message) +
		"</p>\n<p><a href=\"/app/integrations\">Back to Integrations</a></p>\n</main>\n</body>\n</html>\n"
}

// writePage sends a page with headers that keep it out of frames and caches.
func writePage(w http.ResponseWriter, status int, page string) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
	return nil
}

func showError(w http.ResponseWriter, status int, title, message string) error {
	return writePage(w, status, errorHTML(title, message))
}
