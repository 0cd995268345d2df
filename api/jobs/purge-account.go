package jobs

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandlePurgeAccount serves POST /api/jobs/purge-account, for QStash only: {user_id} → every
// key of the deleted account removed, billing records excepted.
func HandlePurgeAccount(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(deletion.JobPurge, purge)})
}

func purge(ctx context.Context, body []byte) error {
	svc, err := deletion.Purger()
	if err != nil {
		return err
	}
	return svc.Purge(ctx, body)
}
