package email

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleConfirm serves POST /api/account/email/confirm {token}, for the holder of the link
// mailed to the new address (signed in or not: the token is the proof): 204, changed.
func HandleConfirm(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(confirm)})
}

func confirm(w http.ResponseWriter, r *http.Request) error {
	var in account.VerifyInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.ConfirmEmailChange(r.Context(), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
