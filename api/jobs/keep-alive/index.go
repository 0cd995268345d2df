// Package keepalive is the keep-alive job function. It has a directory of its own so that it
// links what renewing a token needs (lib/integration) and nothing of reports or mail.
package keepalive

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleKeepAlive serves POST /api/jobs/keep-alive, called by QStash only (daily, and for
// the rest of a pass): it renews Google and GitHub tokens nobody used for a month, so a
// connection never dies of disuse (lib/integration keepalive.go).
func HandleKeepAlive(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(integration.KeepAliveJobName, integration.KeepAliveJob)})
}
