package stripesandbox

import (
	"net/http"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
)

// The sandbox's objects: the client's own types (lib/billing/stripeapi, what Metriqs reads of
// Stripe's API version provider.StripeVersion), so the sandbox serves exactly the shapes the
// client decodes, plus the "object" field Stripe adds and what the sandbox itself keeps.

type checkout struct {
	Object string `json:"object"`
	stripeapi.Session
	Mode          string `json:"mode"`
	Status        string `json:"status"` // open, complete
	CustomerEmail string `json:"customer_email,omitempty"`
	SuccessURL    string `json:"success_url"`
	CancelURL     string `json:"cancel_url"`
	price         string
	subMetadata   map[string]string
}

// customer is the sandbox's own: the client reads a customer's details from its invoices.
type customer struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Email   string             `json:"email"`
	Name    string             `json:"name"`
	Address *stripeapi.Address `json:"address"`
}

type subscription struct {
	Object string `json:"object"`
	stripeapi.Subscription
	LatestInvoice string `json:"latest_invoice"` // the invoice a payment in the portal pays
}

type invoice struct {
	Object string `json:"object"`
	stripeapi.Invoice
}

type creditNote struct {
	Object string `json:"object"`
	stripeapi.CreditNote
}

// Sandbox prices: the amounts lib/plan shows for pro (tax at 20% on top, so records carry tax).
var amounts = map[string]int64{"month": 1900, "year": 19000}

const taxPercent = 20

func (s *Sandbox) createCheckout(r *http.Request) (any, *apiError) {
	if form(r, "mode") != "subscription" {
		return nil, invalid("mode must be subscription")
	}
	p := form(r, "line_items[0][price]")
	if _, ok := s.o.Prices[p]; !ok {
		return nil, missing("price", p)
	}
	if form(r, "success_url") == "" {
		return nil, invalid("Missing required param: success_url.")
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		for _, c := range s.checkouts {
			if c.Metadata["_idempotency"] == key {
				return c, nil
			}
		}
	}
	id := s.newID("cs_test")
	c := &checkout{Object: "checkout.session", Session: stripeapi.Session{ID: id, URL: s.o.BaseURL + "/checkout/" + id,
		ClientReferenceID: form(r, "client_reference_id"), Customer: form(r, "customer"),
		Metadata: map[string]string{"account": form(r, "metadata[account]"), "_idempotency": r.Header.Get("Idempotency-Key")}},
		Mode: "subscription", Status: "open", CustomerEmail: form(r, "customer_email"),
		SuccessURL: form(r, "success_url"), CancelURL: form(r, "cancel_url"), price: p,
		subMetadata: map[string]string{"account": form(r, "subscription_data[metadata][account]")}}
	s.checkouts[id] = c
	return c, nil
}

func (s *Sandbox) createPortal(r *http.Request) (any, *apiError) {
	cus := form(r, "customer")
	if s.customers[cus] == nil {
		return nil, missing("customer", cus)
	}
	id := s.newID("bps")
	s.portals[id], s.returns[id] = cus, form(r, "return_url")
	return map[string]string{"id": id, "object": "billing_portal.session", "customer": cus, "url": s.o.BaseURL + "/portal/" + id,
		"return_url": form(r, "return_url")}, nil
}

func (s *Sandbox) getSubscription(r *http.Request) (any, *apiError) {
	sub := s.subs[r.PathValue("id")]
	if sub == nil {
		return nil, missing("subscription", r.PathValue("id"))
	}
	return sub, nil
}

// cancelSubscription ends it at once, as DELETE /v1/subscriptions/{id} does. A canceled
// subscription gets Stripe's answer for it: 404 resource_missing, as if it did not exist
// (it can still be read with GET).
func (s *Sandbox) cancelSubscription(r *http.Request) (any, *apiError) {
	sub := s.subs[r.PathValue("id")]
	if sub == nil || sub.Status == "canceled" {
		return nil, missing("subscription", r.PathValue("id"))
	}
	sub.Status = "canceled"
	s.queue("customer.subscription.deleted", sub)
	return sub, nil
}

func (s *Sandbox) getInvoice(r *http.Request) (any, *apiError) {
	in := s.invoices[r.PathValue("id")]
	if in == nil {
		return nil, missing("invoice", r.PathValue("id"))
	}
	return in, nil
}

func (s *Sandbox) getCreditNote(r *http.Request) (any, *apiError) {
	cn := s.notes[r.PathValue("id")]
	if cn == nil {
		return nil, missing("credit_note", r.PathValue("id"))
	}
	return cn, nil
}

func (s *Sandbox) now() time.Time { return s.o.Now() }
