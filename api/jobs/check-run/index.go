// Package checkrun is the check-run job function (its own directory: see run-schedule).
package checkrun

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleCheckRun serves POST /api/jobs/check-run, for QStash only (published by deliver-run,
// delayed): {user_id, schedule_id, run_id} → the run settled as sent or partly sent; the owner
// told once when an e-mail failed or bounced. It fails (QStash retries) while e-mails are
// still queued.
func HandleCheckRun(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(delivery.JobCheck, check)})
}

func check(ctx context.Context, body []byte) error {
	svc, err := delivery.Default()
	if err != nil {
		return err
	}
	return svc.Check(ctx, body)
}
