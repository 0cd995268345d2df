package sandbox

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSandboxAuthorize serves /api/sandbox/authorize, the demo provider's authorization
// endpoint, where the sandbox is on: GET shows the consent page to the signed-in user; POST
// is that page's form (same origin only) and sends the browser back to Metriqs' callback.
func HandleSandboxAuthorize(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:  sandbox.Endpoint((*sandbox.Server).Authorize),
		http.MethodPost: session.SameOrigin(sandbox.Endpoint((*sandbox.Server).Decide)),
	})
}
