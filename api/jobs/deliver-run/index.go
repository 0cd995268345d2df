// Package deliverrun is the deliver-run job function (its own directory: see run-schedule).
package deliverrun

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleDeliverRun serves POST /api/jobs/deliver-run, for QStash only (published when a
// run's report finished): {user_id, schedule_id, run_id} → one queued e-mail per recipient,
// at most once per (schedule, period, recipient).
func HandleDeliverRun(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(delivery.JobDeliver, deliver)})
}

func deliver(ctx context.Context, body []byte) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	return svc.Deliver(ctx, body)
}
