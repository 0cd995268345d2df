package subscription

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// settingsPath is where Checkout and the Portal send the customer back.
const settingsPath = "/app/settings"

// Errors of Checkout and Portal, beyond invalid_request.
var (
	errDisabled = problem.New(http.StatusServiceUnavailable, "billing_disabled", "Billing is not set up on this server.")
	errPaying   = problem.Conflict("already_subscribed", "This account already has a subscription: change the plan in Manage billing.")
	errNoCust   = problem.Conflict("no_subscription", "This account has never subscribed: choose a plan to upgrade.")
)

// Checkout starts a Stripe Checkout session for the account to buy p at interval iv and
// returns its URL. Nothing is stored: the account changes plan only when Stripe's webhook
// says the subscription exists, so a Stripe that is down, or a customer who abandons the
// page, leaves the account as it was.
func (s *Service) Checkout(ctx context.Context, userID string, p plan.ID, iv plan.Interval) (string, error) {
	price, err := s.priceOf(p, iv)
	if err != nil {
		return "", err
	}
	sub, err := s.billing.Subscription(ctx, userID)
	if err != nil {
		return "", err
	}
	if sub.Paying() {
		return "", errPaying
	}
	email, err := notice.Address(ctx, s.st, userID)
	if err != nil {
		return "", fmt.Errorf("subscription: checkout for %s: %w", userID, err)
	}
	sess, err := s.stripe.CreateCheckoutSession(ctx, stripeapi.CheckoutParams{
		Account: userID, Price: price, Customer: sub.CustomerID, Email: email,
		SuccessURL: s.appURL + settingsPath + "?billing=done#billing", CancelURL: s.appURL + settingsPath + "#billing",
		IdempotencyKey: s.checkoutKey(userID, price)})
	if err != nil {
		return "", stripeError("checkout", err)
	}
	return sess.URL, nil
}

// checkoutKey makes a double click, or the same request retried within ten minutes, return
// the one session (Stripe keeps idempotency keys 24 hours).
func (s *Service) checkoutKey(userID, price string) string {
	return "checkout:" + userID + ":" + price + ":" + strconv.FormatInt(s.now().Unix()/600, 10)
}

func (s *Service) priceOf(p plan.ID, iv plan.Interval) (string, error) {
	if !s.cfg.Enabled() {
		return "", errDisabled
	}
	if pl, ok := plan.Get(p); !ok || !pl.Paid() {
		return "", problem.Invalid("plan", "Choose a paid plan (pro).")
	}
	if !plan.ValidInterval(iv) {
		return "", problem.Invalid("interval", "The interval must be month or year.")
	}
	price := s.cfg.Price(string(p), string(iv))
	if price == "" {
		return "", problem.Invalid("plan", "This plan cannot be bought with that interval.")
	}
	return price, nil
}

// Portal opens the Stripe Customer Portal for the account (payment method, plan, invoices,
// cancellation) and returns its URL.
func (s *Service) Portal(ctx context.Context, userID string) (string, error) {
	if !s.cfg.Enabled() {
		return "", errDisabled
	}
	sub, err := s.billing.Subscription(ctx, userID)
	if err != nil {
		return "", err
	}
	if sub.CustomerID == "" {
		return "", errNoCust
	}
	sess, err := s.stripe.CreatePortalSession(ctx, sub.CustomerID, s.appURL+settingsPath+"#billing")
	if err != nil {
		return "", stripeError("portal", err)
	}
	return sess.URL, nil
}

// stripeError is a Stripe failure as the browser sees it: 503 billing_unavailable when
// Stripe did not answer (try again), 502 billing_provider_error when it refused our call
// (a configuration error on our side, logged with its cause).
func stripeError(op string, err error) error {
	if errors.Is(err, stripeapi.ErrUnreachable) {
		e := problem.New(http.StatusServiceUnavailable, "billing_unavailable", "Stripe, our payment provider, is not answering. Please try again in a few minutes.")
		e.Cause = fmt.Errorf("subscription: %s: %w", op, err)
		return e
	}
	e := problem.New(http.StatusBadGateway, "billing_provider_error", "Our payment provider refused the request. We have been told; please try again later.")
	e.Cause = fmt.Errorf("subscription: %s: %w", op, err)
	return e
}
