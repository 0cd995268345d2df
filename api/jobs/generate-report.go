// Package jobs holds the functions that QStash calls. Each answers 401 to a delivery without
// a valid Upstash-Signature for its own URL, and runs a message id at most once.
package jobs

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleGenerateReport serves POST /api/jobs/generate-report, for QStash only: {report_id}
// → the report's sections fetched in parallel and stored.
func HandleGenerateReport(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(report.JobGenerate, generate)})
}

func generate(ctx context.Context, body []byte) error {
	svc, err := report.Default()
	if err != nil {
		return err
	}
	return svc.Generate(ctx, body)
}
