package sandbox

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSandboxRevoke serves POST /api/sandbox/revoke, the demo provider's RFC 7009
// revocation endpoint, for its registered client (HTTP Basic).
func HandleSandboxRevoke(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: sandbox.Endpoint((*sandbox.Server).Revoke)})
}
