package sandbox

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSandboxSites serves GET /api/sandbox/sites, the demo sites a user can choose from,
// for a bearer access token with sites.read.
func HandleSandboxSites(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: sandbox.Endpoint((*sandbox.Server).Sites)})
}
