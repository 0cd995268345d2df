package auth

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleMFA serves POST /api/auth/mfa, for a browser holding a pending sign-in: a TOTP code
// or a recovery code finishes the sign-in with {user} and a session cookie.
func HandleMFA(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(mfa)})
}

func mfa(w http.ResponseWriter, r *http.Request) error {
	var in account.SecondFactor
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	u, err := svc.CompleteMFA(w, r, in)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"user": u})
}
