package billing

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/subscription"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleWebhook serves POST /api/billing/webhook, for Stripe only: the raw event, verified by
// its Stripe-Signature (400 and no change otherwise), then handled once per event id → 200
// {received: true}. A 409 or 5xx makes Stripe retry.
func HandleWebhook(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: webhook})
}

func webhook(w http.ResponseWriter, r *http.Request) error {
	body, err := subscription.Payload(w, r)
	if err != nil {
		return err
	}
	svc, err := subscription.Default()
	if err != nil {
		return err
	}
	if err := svc.Webhook(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]bool{"received": true})
}
