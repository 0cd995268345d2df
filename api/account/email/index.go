// Package email holds the change-of-address functions.
package email

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleChange serves POST /api/account/email {new_email, password, code?} for a signed-in
// user: 202, a confirmation link to the new address and a notice to the old one.
func HandleChange(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(change)})
}

func change(w http.ResponseWriter, r *http.Request) error {
	var in account.EmailChangeInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.RequestEmailChange(r.Context(), session.From(r.Context()), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]any{})
}
