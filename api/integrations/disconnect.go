package integrations

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleDisconnect serves POST /api/integrations/disconnect {provider} for a signed-in
// user: 204 once the grant is revoked at the provider (or its revocation queued) and the
// integration deleted.
func HandleDisconnect(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(disconnect)})
}

func disconnect(w http.ResponseWriter, r *http.Request) error {
	var in integration.DisconnectInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	if err := svc.Disconnect(r.Context(), session.From(r.Context()).UserID, in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
