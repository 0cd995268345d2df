package mailcatcher

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Prefix is where the local server mounts the mailbox.
const Prefix = "/_dev/mail"

// pageCSP allows the mailbox page its own inline styles and nothing else: no script, no
// remote load. The srcdoc iframe that shows a message's HTML inherits this policy, so a
// caught message cannot run script or fetch a tracking pixel either.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the mailbox page and its JSON API under Prefix:
//
//	GET    /_dev/mail                               the list, newest first
//	GET    /_dev/mail/m/{id}                        one message: HTML (sandboxed), text, headers, attachments
//	GET    /_dev/mail/m/{id}/raw                    the message as received (.eml)
//	GET    /_dev/mail/m/{id}/attachments/{n}        an attachment, as a download
//	POST   /_dev/mail/clear                         empties the mailbox (the page's button)
//	GET    /_dev/mail/api/messages?to=address       the messages as JSON, newest first
//	GET    /_dev/mail/api/messages/{id}             one message as JSON
//	DELETE /_dev/mail/api/messages                  empties the mailbox
//	PUT    /_dev/mail/api/refusals?address=a        refuse mail to a with a 550 (a bounce)
//	DELETE /_dev/mail/api/refusals?address=a        accept mail to a again
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/{$}", c.listPage)
	mux.HandleFunc("GET "+Prefix, c.listPage)
	mux.HandleFunc("GET "+Prefix+"/m/{id}", c.messagePage)
	mux.HandleFunc("GET "+Prefix+"/m/{id}/raw", c.raw)
	mux.HandleFunc("GET "+Prefix+"/m/{id}/attachments/{n}", c.attachment)
	mux.HandleFunc("POST "+Prefix+"/clear", c.clearPage)
	mux.HandleFunc("GET "+Prefix+"/api/messages", c.apiList)
	mux.HandleFunc("GET "+Prefix+"/api/messages/{id}", c.apiGet)
	mux.HandleFunc("DELETE "+Prefix+"/api/messages", c.apiClear)
	mux.HandleFunc("PUT "+Prefix+"/api/refusals", c.apiRefuse)
	mux.HandleFunc("DELETE "+Prefix+"/api/refusals", c.apiRefuse)
	return mux
}

type listBody struct {
	Messages []Message `json:"messages"`
}

func (c *Catcher) apiList(w http.ResponseWriter, r *http.Request) {
	web.JSON(w, http.StatusOK, listBody{Messages: c.box.List(r.URL.Query().Get("to"))})
}

func (c *Catcher) apiGet(w http.ResponseWriter, r *http.Request) {
	m, ok := c.box.Get(r.PathValue("id"))
	if !ok {
		web.Error(w, r, problem.NotFound("No such message in the local mailbox."))
		return
	}
	web.JSON(w, http.StatusOK, m)
}

func (c *Catcher) apiClear(w http.ResponseWriter, r *http.Request) {
	c.box.Clear()
	w.WriteHeader(http.StatusNoContent)
}

func (c *Catcher) listPage(w http.ResponseWriter, r *http.Request) {
	writePage(w, http.StatusOK, listHTML(c.box.List(r.URL.Query().Get("to"))))
}

func (c *Catcher) messagePage(w http.ResponseWriter, r *http.Request) {
	m, ok := c.box.Get(r.PathValue("id"))
	if !ok {
		writePage(w, http.StatusNotFound, notFoundHTML())
		return
	}
	writePage(w, http.StatusOK, messageHTML(m))
}

// clearPage empties the mailbox from the page's form. A form posted from another site is
// refused (the browser says so in Sec-Fetch-Site), so no page can empty a developer's mailbox.
func (c *Catcher) clearPage(w http.ResponseWriter, r *http.Request) {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		web.Error(w, r, problem.Forbidden("The mailbox is cleared from its own page only."))
		return
	}
	c.box.Clear()
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (c *Catcher) raw(w http.ResponseWriter, r *http.Request) {
	m, ok := c.box.Get(r.PathValue("id"))
	if !ok {
		web.Error(w, r, problem.NotFound("No such message in the local mailbox."))
		return
	}
	download(w, "message-"+m.ID+".eml", "message/rfc822", m.Raw)
}

func (c *Catcher) attachment(w http.ResponseWriter, r *http.Request) {
	m, ok := c.box.Get(r.PathValue("id"))
	n, err := strconv.Atoi(r.PathValue("n"))
	if !ok || err != nil || n < 0 || n >= len(m.Attachments) {
		web.Error(w, r, problem.NotFound("No such attachment in the local mailbox."))
		return
	}
	a := m.Attachments[n]
	download(w, cmpOr(a.Name, "attachment-"+strconv.Itoa(n)), a.ContentType, a.Data)
}

// download sends data as a file to save, never to render: whatever a caught attachment holds,
// it cannot run as a page of this origin.
func download(w http.ResponseWriter, name, ctype string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", cmpOr(ctype, "application/octet-stream"))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	w.Write(data)
}

func writePage(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body))
}
