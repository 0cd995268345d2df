package billing

import "context"

// Canceler ends a subscription at Stripe at once (stripeapi.Client.Cancel); an interface so
// that this package, which the export and the usage counters link, links no HTTP client.
type Canceler interface {
	Cancel(ctx context.Context, subscriptionID string) error
}

// CancelAtStripe ends the account's subscription at Stripe at once, so nothing more is
// charged (account deletion). An account with no subscription, or one already over, needs
// nothing. Billing records are untouched.
func (b *Store) CancelAtStripe(ctx context.Context, userID string, c Canceler) error {
	sub, err := b.Subscription(ctx, userID)
	if err != nil {
		return err
	}
	if c == nil || sub.SubscriptionID == "" || sub.Status == "canceled" || sub.Status == "incomplete_expired" {
		return nil
	}
	return c.Cancel(ctx, sub.SubscriptionID)
}
