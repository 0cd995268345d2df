package account

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSecurityLog serves GET /api/account/security-log for a signed-in user: the security
// events of the account, newest first.
func HandleSecurityLog(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: session.Required(securityLog)})
}

func securityLog(w http.ResponseWriter, r *http.Request) error {
	svc, err := account.Default()
	if err != nil {
		return err
	}
	events, err := svc.SecurityLog(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"events": events})
}
