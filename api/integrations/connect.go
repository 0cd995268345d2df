package integrations

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleConnect serves POST /api/integrations/connect {provider} for a signed-in user:
// {authorize_url}, where the browser goes to grant access.
func HandleConnect(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(connect)})
}

func connect(w http.ResponseWriter, r *http.Request) error {
	var in integration.ConnectInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	res, err := svc.Connect(r.Context(), session.From(r.Context()).UserID, in)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, res)
}
