package stripesandbox

import (
	"fmt"

	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
)

// What the pages do, as Stripe would: each changes the objects and queues the events Stripe
// sends for it. Callers hold s.mu.

// complete finishes a Checkout session: a customer (with the billing details Checkout
// collects), an active subscription, its first invoice paid.
func (s *Sandbox) complete(c *checkout, name string) *subscription {
	cus := s.customers[c.Customer]
	if cus == nil {
		cus = &customer{ID: s.newID("cus"), Object: "customer", Email: c.CustomerEmail}
		s.customers[cus.ID] = cus
		c.Customer = cus.ID
	}
	cus.Name = name
	cus.Address = &stripeapi.Address{Line1: "1 Sandbox Street", City: "Testville", PostalCode: "10115", Country: "DE"}
	sub := &subscription{Object: "subscription", Subscription: stripeapi.Subscription{ID: s.newID("sub"), Customer: cus.ID,
		Status: "active", Metadata: c.subMetadata, Items: stripeapi.SubscriptionItems{Data: make([]stripeapi.SubscriptionItem, 1)}}}
	s.setPrice(sub, c.price)
	s.subs[sub.ID] = sub
	c.Status, c.Subscription = "complete", sub.ID
	s.queue("checkout.session.completed", c)
	s.queue("customer.subscription.created", sub)
	s.pay(s.invoice(sub), sub)
	return sub
}

func (s *Sandbox) setPrice(sub *subscription, p string) {
	it := &sub.Items.Data[0]
	it.Price.ID, it.Price.Recurring.Interval = p, s.o.Prices[p]
	it.CurrentPeriodEnd = s.periodEnd(s.o.Prices[p])
}

func (s *Sandbox) periodEnd(interval string) int64 {
	if interval == "year" {
		return s.now().AddDate(1, 0, 0).Unix()
	}
	return s.now().AddDate(0, 1, 0).Unix()
}

// invoice opens (finalizes) the next invoice of sub.
func (s *Sandbox) invoice(sub *subscription) *invoice {
	cus := s.customers[sub.Customer]
	sub0 := amounts[sub.Items.Data[0].Price.Recurring.Interval]
	tax := sub0 * taxPercent / 100
	in := &invoice{Object: "invoice", Invoice: stripeapi.Invoice{ID: s.newID("in"), Number: fmt.Sprintf("SBX-%04d", len(s.invoices)+1),
		Customer: cus.ID, Status: "open", Created: s.now().Unix(), Currency: "usd", Subtotal: sub0, Total: sub0 + tax,
		TotalExcludingTax: sub0, CustomerName: cus.Name, CustomerEmail: cus.Email, CustomerAddress: cus.Address,
		CustomerTaxIDs: []stripeapi.TaxID{{Type: "eu_vat", Value: "DE123456789"}},
		Parent:         &stripeapi.InvoiceParent{SubscriptionDetails: &stripeapi.SubscriptionDetails{Subscription: sub.ID, Metadata: sub.Metadata}}}}
	in.StatusTransitions.FinalizedAt = in.Created
	s.invoices[in.ID] = in
	sub.LatestInvoice = in.ID
	return in
}

// pay marks in paid and sub active (ending a past_due episode).
func (s *Sandbox) pay(in *invoice, sub *subscription) {
	in.Status, in.AmountPaid, in.StatusTransitions.PaidAt = "paid", in.Total, s.now().Unix()
	s.queue("invoice.paid", in)
	if sub.Status != "active" {
		sub.Status = "active"
		s.queue("customer.subscription.updated", sub)
	}
}

// fail renews sub with an invoice whose payment fails: Stripe sets the subscription past_due.
func (s *Sandbox) fail(sub *subscription) {
	in := s.invoice(sub)
	sub.Items.Data[0].CurrentPeriodEnd = s.periodEnd(sub.Items.Data[0].Price.Recurring.Interval)
	s.queue("invoice.payment_failed", in)
	if sub.Status != "past_due" {
		sub.Status = "past_due"
		s.queue("customer.subscription.updated", sub)
	}
}

// refund issues a credit note for the latest paid invoice.
func (s *Sandbox) refund(sub *subscription) error {
	in := s.invoices[sub.LatestInvoice]
	if in == nil || in.Status != "paid" {
		return fmt.Errorf("the latest invoice is not paid")
	}
	excl := in.TotalExcludingTax
	cn := &creditNote{Object: "credit_note", CreditNote: stripeapi.CreditNote{ID: s.newID("cn"), Number: in.Number + "-CN", Invoice: in.ID,
		Customer: in.Customer, Status: "issued", Created: s.now().Unix(), Currency: in.Currency, Subtotal: in.Subtotal, Total: in.Total,
		TotalExcludingTax: &excl}}
	s.notes[cn.ID] = cn
	s.queue("credit_note.created", cn)
	return nil
}

// portalSub is the customer's subscription that still bills, or their latest one.
func (s *Sandbox) portalSub(cus string) *subscription {
	var latest *subscription
	for _, sub := range s.subs {
		if sub.Customer != cus {
			continue
		}
		if sub.Status != "canceled" {
			return sub
		}
		latest = sub
	}
	return latest
}
