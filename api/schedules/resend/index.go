// Package resend is the re-send function of a run.
package resend

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleResend serves POST /api/schedules/resend?id=ID&run_id=RUN for the schedule's owner:
// 202 {queued: [email]}, the run's report sent again to only the recipients whose e-mail
// failed or bounced; 409 nothing_to_resend when everyone got it.
func HandleResend(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(resend)})
}

func resend(w http.ResponseWriter, r *http.Request) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	again, err := svc.Resend(r.Context(), session.From(r.Context()).UserID, q.Get("id"), q.Get("run_id"))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string][]string{"queued": again})
}
