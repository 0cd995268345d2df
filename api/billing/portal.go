package billing

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/subscription"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandlePortal serves POST /api/billing/portal for a signed-in user who has subscribed: →
// {url} of a Stripe Customer Portal session (payment method, plan, invoices, cancellation).
func HandlePortal(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(portal)})
}

func portal(w http.ResponseWriter, r *http.Request) error {
	svc, err := subscription.Default()
	if err != nil {
		return err
	}
	url, err := svc.Portal(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]string{"url": url})
}
