package delivery

import (
	"errors"
	"html"
	"net/http"
	"net/url"
)

// WritePage answers the unsubscribe endpoint with a small HTML page: the confirm form (token
// set, not done), "you are unsubscribed" (done), or "link not valid" (ErrBadToken, 404).
// Other errors are returned for the JSON envelope. The page has no script and no inline
// style (the site's CSP); it never redirects, as RFC 8058 §3.2 asks of the POST.
func WritePage(w http.ResponseWriter, token, addr string, done bool, err error) error {
	status, body := http.StatusOK, ""
	switch {
	case errors.Is(err, ErrBadToken):
		status, body = http.StatusNotFound, `<h1>This link is not valid</h1><p>It may belong to a schedule or an account that no longer exists. Nothing was changed.</p>`
	case err != nil:
		return err
	case done:
		body = `<h1>You are unsubscribed</h1><p>` + html.EscapeString(addr) + ` will not receive this schedule's reports any more. Its owner can see that you left.</p>`
	default:
		body = `<h1>Unsubscribe?</h1><p>Stop sending this schedule's reports to ` + html.EscapeString(addr) + `.</p>` +
			`<form method="post" action="` + UnsubscribePath + `?token=` + url.QueryEscape(token) + `">` +
			`<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the URL holds the token
	h.Set("X-Robots-Tag", "noindex")
	w.WriteHeader(status)
	_, werr := w.Write([]byte(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<meta name="robots" content="noindex"><title>Unsubscribe · Metriqs</title><link rel="stylesheet" href="/css/site.css"></head><body><main class="narrow">` + body + `</main></body></html>`))
	return werr
}
