package stripesandbox

import (
	"net/http"
	"time"
)

// The sandbox's objects, in the shape of Stripe's API (version provider.StripeVersion) for
// the fields Metriqs reads.

type checkout struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Mode              string            `json:"mode"`
	URL               string            `json:"url"`
	Status            string            `json:"status"` // open, complete
	ClientReferenceID string            `json:"client_reference_id"`
	Customer          string            `json:"customer,omitempty"`
	CustomerEmail     string            `json:"customer_email,omitempty"`
	Subscription      string            `json:"subscription,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	SuccessURL        string            `json:"success_url"`
	CancelURL         string            `json:"cancel_url"`
	price             string
	subMetadata       map[string]string
}

type customer struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Address *address `json:"address"`
}

type address struct {
	Line1      string `json:"line1"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type subscription struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Customer          string            `json:"customer"`
	Status            string            `json:"status"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	Metadata          map[string]string `json:"metadata"`
	Items             items             `json:"items"`
	LatestInvoice     string            `json:"latest_invoice"`
}

type items struct {
	Object string `json:"object"`
	Data   []item `json:"data"`
}

type item struct {
	ID               string `json:"id"`
	CurrentPeriodEnd int64  `json:"current_period_end"`
	Price            price  `json:"price"`
}

type price struct {
	ID        string `json:"id"`
	Recurring struct {
		Interval string `json:"interval"`
	} `json:"recurring"`
}

type invoice struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Number            string           `json:"number"`
	Customer          string           `json:"customer"`
	Status            string           `json:"status"` // open, paid
	Created           int64            `json:"created"`
	Currency          string           `json:"currency"`
	Subtotal          int64            `json:"subtotal"`
	Total             int64            `json:"total"`
	TotalExcludingTax int64            `json:"total_excluding_tax"`
	AmountPaid        int64            `json:"amount_paid"`
	CustomerName      string           `json:"customer_name"`
	CustomerEmail     string           `json:"customer_email"`
	CustomerAddress   *address         `json:"customer_address"`
	CustomerTaxIDs    []map[string]any `json:"customer_tax_ids"`
	StatusTransitions struct {
		FinalizedAt int64 `json:"finalized_at"`
		PaidAt      int64 `json:"paid_at"`
	} `json:"status_transitions"`
	Parent struct {
		Type                string `json:"type"`
		SubscriptionDetails struct {
			Subscription string            `json:"subscription"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
}

type creditNote struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Number            string `json:"number"`
	Invoice           string `json:"invoice"`
	Customer          string `json:"customer"`
	Status            string `json:"status"`
	Created           int64  `json:"created"`
	Currency          string `json:"currency"`
	Subtotal          int64  `json:"subtotal"`
	Total             int64  `json:"total"`
	TotalExcludingTax int64  `json:"total_excluding_tax"`
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
	c := &checkout{ID: id, Object: "checkout.session", Mode: "subscription", URL: s.o.BaseURL + "/checkout/" + id, Status: "open",
		ClientReferenceID: form(r, "client_reference_id"), Customer: form(r, "customer"), CustomerEmail: form(r, "customer_email"),
		Metadata:   map[string]string{"account": form(r, "metadata[account]"), "_idempotency": r.Header.Get("Idempotency-Key")},
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
