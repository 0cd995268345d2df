package notice

import (
	"context"
	"errors"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/store"
)

// KindPaymentFailed is the mail telling the owner a payment failed (lib/subscription).
const KindPaymentFailed = "payment_failed"

// billingPath is Settings › Billing, whose "Manage billing" opens the Stripe Customer Portal:
// the mail links there rather than to a portal session, which expires within minutes.
const billingPath = "/app/settings#billing"

// PaymentFailed is one failed payment of an invoice.
type PaymentFailed struct {
	InvoiceID string // the occurrence: the owner is told once per invoice, however often Stripe retries
	Amount    string // "€29.00", as the invoice says
	GraceEnds string // when the account falls back to the free plan's limits, as a date
}

// PaymentFailed queues n to the live account userID; a closed account is told nothing. The
// message's Key is "billing:payment_failed:" + InvoiceID, so Stripe's retries of the same
// invoice (and redelivered webhooks) send it once.
func (s *Service) PaymentFailed(ctx context.Context, st *store.Store, userID string, n PaymentFailed) error {
	to, err := Address(ctx, st, userID)
	if errors.Is(err, errNoAccount) {
		return nil
	} else if err != nil {
		return err
	}
	m := mail.Message{Key: "billing:payment_failed:" + n.InvoiceID, UserID: userID, To: to, From: mail.FromAccount,
		Kind: KindPaymentFailed, Data: map[string]string{"amount": n.Amount, "grace_ends": n.GraceEnds, "url": s.appURL + billingPath}}
	if err := s.enqueue(ctx, m); err != nil {
		return fmt.Errorf("notice: queue %s for %s: %w", KindPaymentFailed, userID, err)
	}
	return nil
}
