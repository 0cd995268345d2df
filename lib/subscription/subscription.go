// Package subscription is the account's paid plan at Stripe: Checkout to subscribe, the
// Customer Portal to manage it, the verified webhook that keeps lib/billing's copy of the
// subscription and the billing records, and cancellation when the account is deleted
// (docs/billing.md). The account — not the person — is the billing subject: Stripe knows it
// by our user id, in the Checkout session's client_reference_id and the subscription's
// metadata[account].
package subscription

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Stripe is the Stripe API as this package uses it (stripeapi.Client).
type Stripe interface {
	CreateCheckoutSession(ctx context.Context, p stripeapi.CheckoutParams) (*stripeapi.Session, error)
	CreatePortalSession(ctx context.Context, customer, returnURL string) (*stripeapi.Session, error)
	Subscription(ctx context.Context, id string) (*stripeapi.Subscription, error)
	CancelSubscription(ctx context.Context, id string) (*stripeapi.Subscription, error)
	Invoice(ctx context.Context, id string) (*stripeapi.Invoice, error)
	CreditNote(ctx context.Context, id string) (*stripeapi.CreditNote, error)
	Cancel(ctx context.Context, id string) error
}

// Notifier tells the owner about a failed payment (lib/notice).
type Notifier interface {
	PaymentFailed(ctx context.Context, st *store.Store, userID string, n notice.PaymentFailed) error
}

// Service runs billing for one function instance.
type Service struct {
	st      *store.Store
	billing *billing.Store
	stripe  Stripe
	// canceler is stripe, for billing.CancelAtStripe.
	canceler billing.Canceler
	cfg      config.Billing
	appURL   string
	notify   func() (Notifier, error)
	now      func() time.Time
}

// New returns a Service. notify is called only when a payment fails, so functions that never
// send mail build no mail publisher.
func New(st *store.Store, stripe Stripe, cfg config.Billing, appURL string, notify func() (Notifier, error), now func() time.Time) *Service {
	return &Service{st: st, billing: billing.New(st, now), stripe: stripe, canceler: stripe, cfg: cfg, appURL: appURL, notify: notify, now: now}
}

var instance = lazy.New(func() (*Service, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	notify := func() (Notifier, error) { return notice.Default() }
	return New(st, stripeapi.New(cfg.Billing.SecretKey, cfg.Billing.APIURL), cfg.Billing, cfg.AppURL, notify, time.Now), nil
})

// Default is the function instance's Service.
func Default() (*Service, error) { return instance.Get() }
