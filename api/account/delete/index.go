// Package closeaccount holds the account deletion function, apart from the other account
// functions so that their binaries do not carry integration and report code.
package closeaccount

import (
	"net/http"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleDelete serves POST /api/account/delete for a signed-in user: with {password} (and
// {code} or {recovery_code} when 2FA is on) the account is closed at once and purged within
// 30 days: 202 {purge_by}, cookie cleared.
func HandleDelete(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(closeAccount)})
}

func closeAccount(w http.ResponseWriter, r *http.Request) error {
	var in account.DeleteInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := deletion.Default()
	if err != nil {
		return err
	}
	purgeBy, err := svc.Delete(r.Context(), w, session.From(r.Context()), in, web.ClientOf(r))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]string{"purge_by": purgeBy.Format(time.RFC3339)})
}
