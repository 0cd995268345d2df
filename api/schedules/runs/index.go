// Package runs is the run history function.
package runs

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRuns serves GET /api/schedules/runs?id=ID for the schedule's owner: {runs: [{id,
// due_at, report_id, status, recipients: [{email, status, error?}]}], unsubscribed: [{email,
// at}]}, newest first, the last delivery.KeepRuns.
func HandleRuns(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: session.Required(history)})
}

func history(w http.ResponseWriter, r *http.Request) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	h, err := svc.Runs(r.Context(), session.From(r.Context()).UserID, r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, h)
}
