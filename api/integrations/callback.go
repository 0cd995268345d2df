package integrations

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleCallback serves GET /api/integrations/callback, where providers send the browser
// back: 302 to /app/integrations?connected=PROVIDER or ?error=CODE. It checks the session
// itself, so that a signed-out browser is redirected too rather than shown JSON.
func HandleCallback(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: callback})
}

func callback(w http.ResponseWriter, r *http.Request) error {
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	return svc.Callback(w, r)
}
