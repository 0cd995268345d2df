// Package billing holds the billing functions: Checkout, the Customer Portal and Stripe's
// webhook (lib/subscription). None links stripe-go: lib/billing/stripeapi is the client.
package billing

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/subscription"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleCheckout serves POST /api/billing/checkout for a signed-in user: {plan, interval} →
// {url} of a Stripe Checkout session (or the local sandbox's). The plan changes when Stripe's
// webhook confirms the subscription, never here.
func HandleCheckout(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(checkout)})
}

func checkout(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Plan     plan.ID       `json:"plan"`
		Interval plan.Interval `json:"interval"`
	}
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := subscription.Default()
	if err != nil {
		return err
	}
	url, err := svc.Checkout(r.Context(), session.From(r.Context()).UserID, in.Plan, in.Interval)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]string{"url": url})
}
