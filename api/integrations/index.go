package integrations

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleIntegrations serves GET /api/integrations for a signed-in user: one row per
// available provider with its scopes, status, account and choice.
func HandleIntegrations(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: session.Required(listIntegrations)})
}

func listIntegrations(w http.ResponseWriter, r *http.Request) error {
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	rows, err := svc.List(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"integrations": rows})
}
