package sandbox

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/sandbox"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSandboxMetrics serves GET /api/sandbox/metrics?start=…&end=…, the demo provider's
// synthetic daily data, for a bearer access token with metrics.read.
func HandleSandboxMetrics(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: sandbox.Endpoint((*sandbox.Server).Metrics)})
}
