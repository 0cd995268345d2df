package passwordreset

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleConfirm serves POST /api/auth/password-reset/confirm {token, new_password, code?,
// recovery_code?}, for the holder of a reset link: 204, every session signed out, no cookie.
func HandleConfirm(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(confirm)})
}

func confirm(w http.ResponseWriter, r *http.Request) error {
	var in account.ResetConfirm
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.ConfirmReset(r.Context(), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
