package jobs

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleTick serves POST /api/jobs/tick, for QStash's hourly schedule only: publishes a
// run-schedule message for every schedule now due, each exactly once (lib/delivery runs it), and fails reports whose generation timed out.
func HandleTick(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(schedule.JobTick, tick)})
}

func tick(ctx context.Context, _ []byte) error {
	svc, err := schedule.Default()
	if err != nil {
		return err
	}
	res, err := svc.Tick(ctx)
	slog.Info("tick", "due", res.Due, "started", res.Started, "skipped", res.Skipped, "repaired", res.Repaired)
	return err
}
