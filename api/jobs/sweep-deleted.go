package jobs

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSweepDeleted serves POST /api/jobs/sweep-deleted, for QStash's daily schedule only:
// purges every deleted account whose purge is overdue.
func HandleSweepDeleted(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(deletion.JobSweep, sweep)})
}

func sweep(ctx context.Context, _ []byte) error {
	svc, err := deletion.Purger()
	if err != nil {
		return err
	}
	n, err := svc.Sweep(ctx)
	slog.Info("sweep of deleted accounts", "purged", n)
	return err
}
