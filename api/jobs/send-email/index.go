// Package sendemail is the send-email job function. It has a directory of its own because
// the builder compiles a function with its whole directory's package: here, go-mail and the
// account-mail templates are linked into this function alone, not into every job
// (docs/performance.md).
package sendemail

import (
	"net/http"

	_ "github.com/trymetriqs/metriqs/lib/delivery/reportmail" // registers the report-mail renderers
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	_ "github.com/trymetriqs/metriqs/lib/mail/accountmail" // registers the account-mail renderers
	"github.com/trymetriqs/metriqs/lib/mail/submit"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSendEmail serves POST /api/jobs/send-email, called by QStash only: it sends one
// queued message over SMTP, at most once however often it is delivered (lib/mail).
func HandleSendEmail(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler(mail.JobSend, submit.Job)})
}
