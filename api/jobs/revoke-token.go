package jobs

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRevokeToken serves POST /api/jobs/revoke-token, called by QStash only: it retries a
// revocation at a provider that failed when the user disconnected.
func HandleRevokeToken(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(integration.RevokeJobName, integration.RevokeJob)})
}
