package billing

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// Subscription is the account's subscription as Stripe last told us (the webhook handler
// fetches it from Stripe on every event, so this is never built from event order). An account
// that never subscribed, or whose subscription ended, reads as Plan "free", Status "none".
type Subscription struct {
	Plan              string    `json:"plan"`               // lib/plan id: "free", "pro"
	Interval          string    `json:"interval,omitempty"` // "month" or "year"; "" on free
	Status            string    `json:"status"`             // Stripe's: active, trialing, past_due, unpaid, canceled, incomplete…; "none"
	CurrentPeriodEnd  time.Time `json:"current_period_end,omitzero"`
	PastDueSince      time.Time `json:"past_due_since,omitzero"` // first time we saw past_due/unpaid; zero once paid
	CancelAtPeriodEnd bool      `json:"cancel_at_period_end"`
	CustomerID        string    `json:"-"` // Stripe cus_…
	SubscriptionID    string    `json:"-"` // Stripe sub_…
	UpdatedAt         time.Time `json:"-"`
}

// Free is the subscription of an account that pays nothing.
func Free() Subscription { return Subscription{Plan: "free", Status: "none"} }

// Paying reports whether Stripe is billing the account (the subscription is not over).
func (s Subscription) Paying() bool {
	switch s.Status {
	case "active", "trialing", "past_due", "unpaid":
		return true
	}
	return false
}

// subKey holds the account's subscription; it belongs to the user (in their index), so
// account deletion removes it with everything else.
func (b *Store) subKey(userID string) string { return b.st.Key("user", userID, "subscription") }

// Subscription reads the account's subscription; Free() when there is none.
func (b *Store) Subscription(ctx context.Context, userID string) (Subscription, error) {
	f, err := b.st.R.HGetAll(ctx, b.subKey(userID)).Result()
	if err != nil {
		return Subscription{}, store.Err(err)
	}
	if len(f) == 0 {
		return Free(), nil
	}
	return subscriptionOf(f), nil
}

func subscriptionOf(f map[string]string) Subscription {
	return Subscription{Plan: f["plan"], Interval: f["interval"], Status: f["status"],
		CurrentPeriodEnd: unixField(f["current_period_end"]), PastDueSince: unixField(f["past_due_since"]),
		CancelAtPeriodEnd: f["cancel_at_period_end"] == "1", CustomerID: f["customer_id"],
		SubscriptionID: f["subscription_id"], UpdatedAt: unixField(f["updated_at"])}
}

func unixField(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func unixOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// putSubscription writes s whole, in the user's index, in one MULTI, with the link from its
// Stripe customer back to the account (AccountOfCustomer).
func (b *Store) putSubscription(ctx context.Context, p redis.Pipeliner, userID string, s Subscription) {
	k := b.subKey(userID)
	p.Del(ctx, k)
	p.HSet(ctx, k, "plan", s.Plan, "interval", s.Interval, "status", s.Status,
		"current_period_end", unixOf(s.CurrentPeriodEnd), "past_due_since", unixOf(s.PastDueSince),
		"cancel_at_period_end", boolField(s.CancelAtPeriodEnd), "customer_id", s.CustomerID,
		"subscription_id", s.SubscriptionID, "updated_at", unixOf(s.UpdatedAt))
	b.st.Own(ctx, p, userID, k)
	if s.CustomerID != "" {
		ck := b.stripeCustomerKey(s.CustomerID)
		p.Set(ctx, ck, userID, 0)
		b.st.Own(ctx, p, userID, ck)
	}
}

// stripeCustomerKey maps a Stripe customer to the account whose subscription it pays. It is
// written with the subscription, so it exists once a Checkout of ours has been synced (Checkout
// creates the customer; we record it from the subscription); it belongs to the user (in the
// index), so account deletion removes it and a later event finds no account.
func (b *Store) stripeCustomerKey(customer string) string {
	return b.st.Key("billing", "stripe-customer", customer)
}

// AccountOfCustomer is the account a Stripe customer pays for, "" when no subscription of
// ours has named it: how a subscription or invoice made outside our Checkout (in the
// Dashboard, by the API), which carries no metadata[account], is attributed.
func (b *Store) AccountOfCustomer(ctx context.Context, customer string) (string, error) {
	if customer == "" {
		return "", nil
	}
	id, err := b.st.R.Get(ctx, b.stripeCustomerKey(customer)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return id, store.Err(err)
}

func boolField(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// ErrAccountGone: the account is closed or purged; nothing of it is written again.
var ErrAccountGone = errors.New("billing: the account is closed or gone")

// SetSubscription stores the account's subscription as fetched from Stripe, in a WATCHed
// transaction over the user's record, so that an account closed meanwhile gets nothing
// written back (ErrAccountGone) and two writers never interleave. PastDueSince is kept from
// the stored state while the subscription stays past due (Stripe does not say when it
// became so), set now when it first does, and cleared when it recovers. A subscription that
// is over never replaces another one that still bills (a late event of a plan the customer
// left for a new one).
func (b *Store) SetSubscription(ctx context.Context, userID string, s Subscription) error {
	uk, k := b.st.Key("user", userID), b.subKey(userID)
	write := func(tx *redis.Tx) error {
		old, err := b.readLive(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old.SubscriptionID != s.SubscriptionID && old.Paying() && !s.Paying() {
			return nil
		}
		s.UpdatedAt = b.now().UTC().Truncate(time.Second)
		s.PastDueSince = pastDueSince(old, s, b.now())
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			b.putSubscription(ctx, p, userID, s)
			return nil
		})
		return err
	}
	for range 20 {
		err := b.st.R.Watch(ctx, write, uk, k)
		if errors.Is(err, ErrAccountGone) {
			return err
		}
		if !errors.Is(err, redis.TxFailedErr) {
			return store.Err(err)
		}
	}
	return store.Err(redis.TxFailedErr)
}

// readLive reads the stored subscription of a live account inside tx.
func (b *Store) readLive(ctx context.Context, tx *redis.Tx, userID string) (Subscription, error) {
	v, err := tx.HMGet(ctx, b.st.Key("user", userID), "email", "deleted").Result()
	if err != nil {
		return Subscription{}, err
	}
	if email, _ := v[0].(string); email == "" || v[1] != nil {
		return Subscription{}, ErrAccountGone
	}
	f, err := tx.HGetAll(ctx, b.subKey(userID)).Result()
	if err != nil || len(f) == 0 {
		return Free(), err
	}
	return subscriptionOf(f), nil
}

func pastDueSince(old, s Subscription, now time.Time) time.Time {
	if s.Status != "past_due" && s.Status != "unpaid" {
		return time.Time{}
	}
	if !old.PastDueSince.IsZero() && old.SubscriptionID == s.SubscriptionID {
		return old.PastDueSince
	}
	return now.UTC().Truncate(time.Second)
}
