package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// lockTTL bounds a sync that died holding the lock; a sync is one Stripe read (10 s at most)
// and one Redis transaction.
const lockTTL = 15 * time.Second

var errBusy = problem.Conflict("subscription_busy", "Another update of this subscription is running; Stripe will retry.")

// Sync reads subscription id from Stripe and stores it as the account's subscription. The
// read and the write happen under a lock per subscription: without it, a handler that read
// the subscription before a change could write after one that read it after, and the older
// state would win. With it, the last writer is the last reader. account is a hint from the
// event (a Checkout session's client_reference_id); the subscription's metadata[account],
// which Checkout sets, wins; without either, its customer's account (accountOf).
func (s *Service) Sync(ctx context.Context, id, account string) error {
	unlock, err := s.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	sub, err := s.stripe.Subscription(ctx, id)
	if err != nil {
		return fmt.Errorf("subscription: reading %s: %w", id, err)
	}
	if account, err = s.accountOf(ctx, sub.Metadata["account"], account, sub.Customer); err != nil {
		return err
	}
	if !ids.Valid(account) {
		slog.Warn("subscription: a subscription names no Metriqs account and its customer pays for none; ignored", "subscription", id, "customer", sub.Customer)
		return nil
	}
	state := s.stateOf(sub)
	err = s.billing.SetSubscription(ctx, account, state)
	if errors.Is(err, billing.ErrAccountGone) && state.Paying() {
		// A deleted account whose subscription still bills (a Checkout finished while the
		// account was being deleted, after its purge cancelled what it knew): cancel it, and
		// write nothing back.
		slog.Info("subscription: cancelling the subscription of a deleted account", "subscription", id)
		return s.canceler.Cancel(ctx, id)
	}
	if errors.Is(err, billing.ErrAccountGone) {
		return nil
	}
	return err
}

// accountOf is the account an object of Stripe's bills: meta (its metadata[account], set by
// our Checkout) when there is one, else hint (the event's), else the account its customer
// pays for — a subscription made outside our Checkout (the Dashboard, the API) carries no
// metadata, but its customer is one our Checkout created. "" for none.
func (s *Service) accountOf(ctx context.Context, meta, hint, customer string) (string, error) {
	for _, a := range []string{meta, hint} {
		if a != "" {
			return a, nil
		}
	}
	a, err := s.billing.AccountOfCustomer(ctx, customer)
	if err != nil {
		return "", fmt.Errorf("subscription: the account of customer %s: %w", customer, err)
	}
	return a, nil
}

// stateOf is the stored form of a Stripe subscription. A price this deployment does not
// know (a price archived, or set up for another product) reads as the free plan: never more
// than was paid for.
func (s *Service) stateOf(sub *stripeapi.Subscription) billing.Subscription {
	st := billing.Subscription{Plan: "free", Status: sub.Status, CancelAtPeriodEnd: sub.CancelAtPeriodEnd,
		CustomerID: sub.Customer, SubscriptionID: sub.ID}
	if len(sub.Items.Data) == 0 || !st.Paying() {
		return st // an ended subscription is the free plan; the customer id stays, for the portal's invoices
	}
	item := sub.Items.Data[0]
	if item.CurrentPeriodEnd > 0 {
		st.CurrentPeriodEnd = time.Unix(item.CurrentPeriodEnd, 0).UTC()
	}
	if p, iv, ok := s.cfg.PlanOf(item.Price.ID); ok {
		st.Plan, st.Interval = p, iv
	} else {
		slog.Warn("subscription: unknown price; the account stays on the free plan", "subscription", sub.ID, "price", item.Price.ID)
	}
	return st
}

// unlockScript deletes the lock only if this holder still owns it.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// lock takes the subscription's lock, waiting for it a few seconds (a burst of events for one
// subscription is normal: Checkout sends five at once), then gives up with a 409 so that
// Stripe retries later.
func (s *Service) lock(ctx context.Context, id string) (func(), error) {
	k, token, start := s.st.Key("billing", "lock", id), ids.New(), time.Now()
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		ok, err := s.st.R.SetNX(ctx, k, token, lockTTL).Result()
		if err != nil {
			return nil, store.Err(err)
		}
		if ok {
			return func() { unlockScript.Run(context.WithoutCancel(ctx), s.st.R, []string{k}, token) }, nil
		}
		deadline, has := ctx.Deadline()
		if has && time.Until(deadline) < lockTTL/3 || time.Since(start) > lockTTL/2 {
			return nil, errBusy
		}
		select {
		case <-ctx.Done():
			return nil, errBusy
		case <-time.After(wait):
		}
	}
}
