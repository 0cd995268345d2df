package auth

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleLogin serves POST /api/auth/login, for anyone: {user} and a session cookie, or
// {mfa_required: true} and a short-lived pending cookie when the account has 2FA on.
func HandleLogin(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(login)})
}

func login(w http.ResponseWriter, r *http.Request) error {
	var in account.LoginInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	res, err := svc.Login(r.Context(), w, in, web.ClientOf(r))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, res)
}
