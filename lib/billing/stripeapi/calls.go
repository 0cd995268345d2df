package stripeapi

import (
	"context"
	"net/http"
	"net/url"
)

// CheckoutParams is a subscription Checkout Session for one account.
type CheckoutParams struct {
	Account    string // our user id: client_reference_id and metadata on the session and subscription
	Price      string // price_…
	Customer   string // cus_… when the account has one, so a returning customer is not duplicated
	Email      string // prefilled when there is no customer yet
	SuccessURL string
	CancelURL  string
	// IdempotencyKey makes a repeated request (a double click, a retry) return the same session.
	IdempotencyKey string
}

// Session is a Checkout or Portal session; the browser is sent to URL.
type Session struct {
	ID                string            `json:"id"`
	URL               string            `json:"url"`
	Customer          string            `json:"customer"`
	Subscription      string            `json:"subscription"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
}

// CreateCheckoutSession starts Stripe Checkout for a subscription. Billing address and tax
// ids are collected because the billing record must carry them (issue 15: the legal record).
func (c *Client) CreateCheckoutSession(ctx context.Context, p CheckoutParams) (*Session, error) {
	f := url.Values{
		"mode": {"subscription"}, "success_url": {p.SuccessURL}, "cancel_url": {p.CancelURL},
		"client_reference_id": {p.Account}, "metadata[account]": {p.Account},
		"subscription_data[metadata][account]": {p.Account},
		"line_items[0][price]":                 {p.Price}, "line_items[0][quantity]": {"1"},
		"billing_address_collection": {"required"}, "tax_id_collection[enabled]": {"true"},
	}
	if p.Customer != "" {
		f.Set("customer", p.Customer)
		f.Set("customer_update[address]", "auto")
		f.Set("customer_update[name]", "auto")
	} else if p.Email != "" {
		f.Set("customer_email", p.Email)
	}
	var s Session
	return &s, c.post(ctx, "/v1/checkout/sessions", f, p.IdempotencyKey, &s)
}

// CreatePortalSession opens the Customer Portal for customer, returning to returnURL.
func (c *Client) CreatePortalSession(ctx context.Context, customer, returnURL string) (*Session, error) {
	var s Session
	f := url.Values{"customer": {customer}, "return_url": {returnURL}}
	return &s, c.post(ctx, "/v1/billing_portal/sessions", f, "", &s)
}

// Subscription is what Metriqs reads of a Stripe subscription. Since API version
// 2025-03-31 the billing period is on each item, not on the subscription.
type Subscription struct {
	ID                string            `json:"id"`
	Customer          string            `json:"customer"`
	Status            string            `json:"status"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	Metadata          map[string]string `json:"metadata"`
	Items             SubscriptionItems `json:"items"`
}

// SubscriptionItems is the list of a subscription's items (Metriqs makes one: the plan's
// price). The nested shapes are named so lib/devserver/stripesandbox can serve them.
type SubscriptionItems struct {
	Data []SubscriptionItem `json:"data"`
}

// SubscriptionItem is one price on a subscription and the end of its current period.
type SubscriptionItem struct {
	CurrentPeriodEnd int64 `json:"current_period_end"`
	Price            Price `json:"price"`
}

// Price is an item's price id and how often it bills ("month", "year").
type Price struct {
	ID        string `json:"id"`
	Recurring struct {
		Interval string `json:"interval"`
	} `json:"recurring"`
}

// Subscription reads a subscription as it is now.
func (c *Client) Subscription(ctx context.Context, id string) (*Subscription, error) {
	var s Subscription
	return &s, c.get(ctx, "/v1/subscriptions/"+url.PathEscape(id), nil, &s)
}

// CancelSubscription ends a subscription at once, without proration credit or a final
// invoice: the account is gone, so nothing more is charged.
func (c *Client) CancelSubscription(ctx context.Context, id string) (*Subscription, error) {
	var s Subscription
	f := url.Values{"invoice_now": {"false"}, "prorate": {"false"}}
	return &s, c.send(ctx, http.MethodDelete, "/v1/subscriptions/"+url.PathEscape(id), f, "", &s)
}

// Address is a postal address as Stripe holds it.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	State      string `json:"state"`
	Country    string `json:"country"`
}

// TaxID is one of the customer's tax ids on an invoice.
type TaxID struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Invoice is what the billing record keeps of an invoice.
type Invoice struct {
	ID                string   `json:"id"`
	Number            string   `json:"number"`
	Customer          string   `json:"customer"`
	Status            string   `json:"status"`
	Created           int64    `json:"created"`
	Currency          string   `json:"currency"`
	Subtotal          int64    `json:"subtotal"`
	Total             int64    `json:"total"`
	TotalExcludingTax int64    `json:"total_excluding_tax"`
	AmountPaid        int64    `json:"amount_paid"`
	CustomerName      string   `json:"customer_name"`
	CustomerEmail     string   `json:"customer_email"`
	CustomerAddress   *Address `json:"customer_address"`
	CustomerTaxIDs    []TaxID  `json:"customer_tax_ids"`
	HostedInvoiceURL  string   `json:"hosted_invoice_url"`
	StatusTransitions struct {
		FinalizedAt int64 `json:"finalized_at"`
		PaidAt      int64 `json:"paid_at"`
	} `json:"status_transitions"`
	Parent *InvoiceParent `json:"parent"`
}

// InvoiceParent is what an invoice was made for; SubscriptionDetails is nil for a one-off
// invoice.
type InvoiceParent struct {
	SubscriptionDetails *SubscriptionDetails `json:"subscription_details"`
}

// SubscriptionDetails names the subscription an invoice bills, and that subscription's
// metadata as it was when the invoice was made.
type SubscriptionDetails struct {
	Subscription string            `json:"subscription"`
	Metadata     map[string]string `json:"metadata"`
}

// SubscriptionID is the invoice's subscription ("" for a one-off invoice).
func (in *Invoice) SubscriptionID() string {
	if in.Parent == nil || in.Parent.SubscriptionDetails == nil {
		return ""
	}
	return in.Parent.SubscriptionDetails.Subscription
}

// Invoice reads an invoice.
func (c *Client) Invoice(ctx context.Context, id string) (*Invoice, error) {
	var in Invoice
	return &in, c.get(ctx, "/v1/invoices/"+url.PathEscape(id), nil, &in)
}

// CreditNote is what the billing record keeps of a credit note.
type CreditNote struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Invoice  string `json:"invoice"`
	Customer string `json:"customer"`
	Status   string `json:"status"`
	Created  int64  `json:"created"`
	Currency string `json:"currency"`
	Subtotal int64  `json:"subtotal"`
	Total    int64  `json:"total"`
	// TotalExcludingTax is null on older credit notes; Total - it is the tax credited.
	TotalExcludingTax *int64 `json:"total_excluding_tax"`
}

// CreditNote reads a credit note.
func (c *Client) CreditNote(ctx context.Context, id string) (*CreditNote, error) {
	var cn CreditNote
	return &cn, c.get(ctx, "/v1/credit_notes/"+url.PathEscape(id), nil, &cn)
}

// Cancel ends a subscription at once; one that is already over is done. Stripe answers the
// cancellation of a canceled subscription as if it did not exist: 404, invalid_request_error,
// code resource_missing, "No such subscription" (a canceled subscription counts as deleted;
// stripe/stripe-go#1887). Only that answer is done: a 404 without the code is a wrong URL
// (STRIPE_API_URL, a proxy), after which the subscription may still bill.
func (c *Client) Cancel(ctx context.Context, id string) error {
	_, err := c.CancelSubscription(ctx, id)
	if Missing(err) {
		return nil
	}
	return err
}
