package auth

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleVerifyEmail serves POST /api/auth/verify-email {token}, for the holder of a
// verification link (signed in or not): 204, the address is verified.
func HandleVerifyEmail(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(verifyEmail)})
}

func verifyEmail(w http.ResponseWriter, r *http.Request) error {
	var in account.VerifyInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.VerifyEmail(r.Context(), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
