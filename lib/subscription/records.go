package subscription

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// invoicePaid writes the invoice's billing record, then brings the subscription up to date
// (a paid invoice ends a past_due episode).
func (s *Service) invoicePaid(ctx context.Context, id string) error {
	in, err := s.stripe.Invoice(ctx, id)
	if err != nil {
		return fmt.Errorf("reading invoice %s: %w", id, err)
	}
	account, err := s.accountOfInvoice(ctx, in)
	if err != nil {
		return err
	}
	if err := s.keep(ctx, account, invoiceRecord(in)); err != nil {
		return err
	}
	if sub := in.SubscriptionID(); sub != "" {
		return s.Sync(ctx, sub, account)
	}
	return nil
}

// paymentFailed brings the subscription up to date (Stripe has set it past_due) and tells
// the owner, once per invoice.
func (s *Service) paymentFailed(ctx context.Context, id string) error {
	in, err := s.stripe.Invoice(ctx, id)
	if err != nil {
		return fmt.Errorf("reading invoice %s: %w", id, err)
	}
	account, err := s.accountOfInvoice(ctx, in)
	if err != nil {
		return err
	}
	if sub := in.SubscriptionID(); sub != "" {
		if err := s.Sync(ctx, sub, account); err != nil {
			return err
		}
	}
	if !ids.Valid(account) {
		return nil
	}
	return s.tellPaymentFailed(ctx, account, in)
}

func (s *Service) tellPaymentFailed(ctx context.Context, account string, in *stripeapi.Invoice) error {
	n, err := s.notify()
	if err != nil {
		return err
	}
	sub, err := s.billing.Subscription(ctx, account)
	if err != nil {
		return err
	}
	grace := ""
	if ends := plan.GraceEnds(plan.Subscription{Status: sub.Status, PastDueSince: sub.PastDueSince}); !ends.IsZero() {
		grace = ends.Format("2 January 2006")
	}
	return n.PaymentFailed(ctx, s.st, account, notice.PaymentFailed{InvoiceID: in.ID,
		Amount: strings.ToUpper(in.Currency) + " " + decimal(in.Total), GraceEnds: grace})
}

// creditNote writes the billing record of an issued credit note (a voided one was never in
// force; Stripe creates credit notes already issued, numbered and final).
func (s *Service) creditNote(ctx context.Context, id string) error {
	cn, err := s.stripe.CreditNote(ctx, id)
	if err != nil {
		return fmt.Errorf("reading credit note %s: %w", id, err)
	}
	if cn.Status != "issued" {
		return nil
	}
	in, err := s.stripe.Invoice(ctx, cn.Invoice)
	if err != nil {
		return fmt.Errorf("reading invoice %s of credit note %s: %w", cn.Invoice, id, err)
	}
	account, err := s.accountOfInvoice(ctx, in)
	if err != nil {
		return err
	}
	return s.keep(ctx, account, creditNoteRecord(cn, in))
}

// keep writes r under the live account's billing reference, or unlinked when the account is
// deleted or unknown (billing.AddFor): the legal record is kept either way, and nothing else
// of a deleted account is written. A record already there is done (a redelivery).
func (s *Service) keep(ctx context.Context, account string, r billing.Record) error {
	var err error
	if ids.Valid(account) {
		_, err = s.billing.AddFor(ctx, account, r)
	} else {
		_, err = s.billing.AddUnlinked(ctx, r)
	}
	if problem.CodeOf(err) == "conflict" {
		return nil
	}
	return err
}

// accountOfInvoice is the account an invoice bills: Stripe copies the subscription's
// metadata onto the invoice (parent.subscription_details.metadata); an invoice of a
// subscription made outside our Checkout has none, and goes by its customer.
func (s *Service) accountOfInvoice(ctx context.Context, in *stripeapi.Invoice) (string, error) {
	meta := ""
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		meta = in.Parent.SubscriptionDetails.Metadata["account"]
	}
	return s.accountOf(ctx, meta, "", in.Customer)
}

func invoiceRecord(in *stripeapi.Invoice) billing.Record {
	issued := in.StatusTransitions.FinalizedAt
	if issued == 0 {
		issued = in.Created
	}
	return billing.Record{InvoiceID: in.ID, Kind: "invoice", Number: in.Number, IssuedAt: time.Unix(issued, 0),
		AmountMinor: in.Total, SubtotalMinor: in.Subtotal, TaxMinor: in.Total - in.TotalExcludingTax,
		Currency: in.Currency, BillingName: in.CustomerName, Address: addressOf(in.CustomerAddress), TaxID: taxIDOf(in.CustomerTaxIDs)}
}

func creditNoteRecord(cn *stripeapi.CreditNote, in *stripeapi.Invoice) billing.Record {
	tax := int64(0)
	if cn.TotalExcludingTax != nil {
		tax = cn.Total - *cn.TotalExcludingTax
	}
	return billing.Record{InvoiceID: cn.ID, Kind: "credit_note", Number: cn.Number, IssuedAt: time.Unix(cn.Created, 0),
		AmountMinor: cn.Total, SubtotalMinor: cn.Subtotal, TaxMinor: tax, Currency: cn.Currency,
		BillingName: in.CustomerName, Address: addressOf(in.CustomerAddress), TaxID: taxIDOf(in.CustomerTaxIDs)}
}

// addressOf writes the address on one line, as the invoice prints it.
func addressOf(a *stripeapi.Address) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.State, a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func taxIDOf(ids []stripeapi.TaxID) string {
	var out []string
	for _, t := range ids {
		out = append(out, t.Type+" "+t.Value)
	}
	return strings.Join(out, "; ")
}

// decimal is an amount in minor units with two decimals (every currency Metriqs prices in).
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return sign + strconv.FormatInt(minor/100, 10) + "." + fmt.Sprintf("%02d", minor%100)
}
