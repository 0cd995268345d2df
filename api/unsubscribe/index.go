// Package unsubscribe is the one-click unsubscribe function of report e-mails.
package unsubscribe

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleUnsubscribe serves /api/unsubscribe?token=T, the List-Unsubscribe URL of report
// e-mails, for anyone holding the token (no cookie, no session): POST (RFC 8058's one-click,
// body List-Unsubscribe=One-Click, or the confirm page's button) stops that schedule for that
// address at once and answers 200, never a redirect; GET shows the confirm page.
func HandleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: confirm, http.MethodPost: unsubscribe})
}

func confirm(w http.ResponseWriter, r *http.Request) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	addr, done, err := svc.Lookup(r.Context(), r.URL.Query().Get("token"))
	return delivery.WritePage(w, r.URL.Query().Get("token"), addr, done, err)
}

func unsubscribe(w http.ResponseWriter, r *http.Request) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	addr, err := svc.Unsubscribe(r.Context(), r.URL.Query().Get("token"))
	return delivery.WritePage(w, "", addr, err == nil, err)
}
