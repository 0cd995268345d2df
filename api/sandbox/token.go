package sandbox

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSandboxToken serves POST /api/sandbox/token, the demo provider's token endpoint, for
// its registered client (HTTP Basic): authorization_code with PKCE, and refresh_token with
// rotation.
func HandleSandboxToken(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: sandbox.Endpoint((*sandbox.Server).Token)})
}
