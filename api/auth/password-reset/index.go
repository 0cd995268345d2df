// Package passwordreset holds the forgotten-password functions.
package passwordreset

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRequest serves POST /api/auth/password-reset {email}, for anyone: 202 {} whether or
// not an account has the address; a reset link is e-mailed when one does.
func HandleRequest(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(request)})
}

func request(w http.ResponseWriter, r *http.Request) error {
	var in account.ResetRequest
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.RequestReset(r.Context(), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]any{})
}
