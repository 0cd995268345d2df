// Package run is the "Send now" function (its own directory, so that the schedules list
// links no delivery code).
package run

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRun serves POST /api/schedules/run?id=ID {test?: true} for the schedule's owner:
// 202 {run_id}; the run goes to every recipient, or with test to the owner only, marked as a
// test. Ten per account per hour.
func HandleRun(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(sendNow)})
}

func sendNow(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Test bool `json:"test"`
	}
	if r.ContentLength != 0 {
		if err := web.Decode(w, r, &in); err != nil {
			return err
		}
	}
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	id, err := svc.SendNow(r.Context(), session.From(r.Context()).UserID, r.URL.Query().Get("id"), in.Test)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]string{"run_id": id})
}
