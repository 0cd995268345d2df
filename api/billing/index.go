package billing

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/usage"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleBilling serves GET /api/billing for a signed-in user: the plan in force, its limits,
// this month's usage against each, the next invoice date and the invoices (lib/usage).
func HandleBilling(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: session.Required(show)})
}

func show(w http.ResponseWriter, r *http.Request) error {
	svc, err := usage.Default()
	if err != nil {
		return err
	}
	sum, err := svc.SummaryFor(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, sum)
}
