// Package reports holds the report functions.
package reports

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/usage"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleReports serves /api/reports for a signed-in user: GET lists the reports, newest
// first; POST {period, compare?} queues a new one (202 {id, status}).
func HandleReports(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:  session.Required(list),
		http.MethodPost: session.Required(request),
	})
}

func list(w http.ResponseWriter, r *http.Request) error {
	svc, err := report.Default()
	if err != nil {
		return err
	}
	reports, err := svc.List(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"reports": reports})
}

type requestInput struct {
	Period  *period.Spec   `json:"period"`
	Compare period.Compare `json:"compare"`
}

func request(w http.ResponseWriter, r *http.Request) error {
	var in requestInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	if in.Period == nil {
		return problem.Invalid("period", "Field \"period\" is required: last_7_days, last_28_days, last_month, or {\"start\", \"end\"}.")
	}
	svc, err := report.Default()
	if err != nil {
		return err
	}
	limits, err := usage.Default()
	if err != nil {
		return err
	}
	rep, err := svc.RequestFor(r.Context(), session.From(r.Context()).UserID, *in.Period, in.Compare, limits)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]string{"id": rep.ID, "status": rep.Status})
}
