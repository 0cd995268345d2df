// Package auth holds the sign-up, sign-in and sign-out functions.
package auth

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSignup serves POST /api/auth/signup, for anyone: creates the account, signs it in and e-mails the link that verifies the address.
func HandleSignup(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(signup)})
}

func signup(w http.ResponseWriter, r *http.Request) error {
	var in account.SignupInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	u, err := l.Signup(r.Context(), w, in, web.ClientOf(r))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusCreated, map[string]any{"user": u})
}
