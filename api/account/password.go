// Package account holds the account and security settings functions.
package account

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandlePassword serves POST /api/account/password for a signed-in user: changes the
// password and signs out every other session.
func HandlePassword(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(changePassword)})
}

func changePassword(w http.ResponseWriter, r *http.Request) error {
	var in account.PasswordInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	if err := svc.ChangePassword(r.Context(), session.From(r.Context()), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
