package jobs

import (
	"net/http"

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
