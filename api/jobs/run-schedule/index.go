// Package runschedule is the run-schedule job function, in a directory of its own so that
// lib/delivery is linked into the delivery functions alone (docs/performance.md).
package runschedule

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRunSchedule serves POST /api/jobs/run-schedule, for QStash only (published by the
// tick and by "Send now"): {user_id, schedule_id, due_at, run_id} → the run record and its
// report, or the run held while a source needs reconnecting (lib/delivery).
func HandleRunSchedule(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(delivery.JobRun, run)})
}

func run(ctx context.Context, body []byte) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	return svc.Start(ctx, body)
}
