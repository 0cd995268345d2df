package accountmail

import (
	"context"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("payment_failed", renderPaymentFailed) }

// renderPaymentFailed tells the owner a payment failed and how to fix it: once per invoice
// (lib/notice PaymentFailed), while Stripe keeps retrying the card.
func renderPaymentFailed(_ context.Context, m mail.Message) (mail.Content, error) {
	if m.Data["url"] == "" {
		return mail.Content{}, fmt.Errorf("accountmail: payment notice without a link")
	}
	amount := m.Data["amount"]
	if amount == "" {
		amount = "your Metriqs subscription"
	}
	after := "After a grace period"
	if g := m.Data["grace_ends"]; g != "" {
		after = "If it is still unpaid on " + g + ","
	}
	b := mail.Body{
		Heading: "Your payment did not go through",
		Paragraphs: []string{
			"We could not charge " + amount + " to your payment method. Stripe will try again over the next days.",
			"Update your card in Settings › Billing to keep your plan. " + after + " your account falls back to the free plan's limits; nothing is deleted, and everything comes back when the invoice is paid.",
		},
		Button: &mail.Link{Label: "Update payment method", URL: m.Data["url"]},
		Footer: "You get this e-mail because you pay for a Metriqs plan.",
	}
	return b.Render("Action needed: your Metriqs payment failed"), nil
}
