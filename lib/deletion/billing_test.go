package deletion

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/jobs"
)

type fakeStripe struct {
	cancelled []string
	fail      int
}

func (f *fakeStripe) Cancel(_ context.Context, id string) error {
	f.cancelled = append(f.cancelled, id)
	if f.fail > 0 {
		f.fail--
		return errors.New("stripe: unreachable")
	}
	return nil
}

// The purge cancels the subscription at Stripe before it removes the keys that name it (a
// Stripe that does not answer fails the purge, which is retried); the billing records stay,
// unlinked from the user.
func TestPurgeCancelsTheSubscriptionAndKeepsRecords(t *testing.T) {
	f := setup(t)
	stripe := &fakeStripe{fail: 1}
	f.svc = f.svc.WithStripe(stripe)
	sess := f.signUp(t, "payer@example.com")
	uid := sess.UserID
	ctx := context.Background()
	b := billing.New(f.st, time.Now)
	if err := b.SetSubscription(ctx, uid, billing.Subscription{Plan: "pro", Interval: "month", Status: "active",
		SubscriptionID: "sub_1", CustomerID: "cus_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctx, uid, billing.Record{InvoiceID: "in_1", IssuedAt: time.Now(), AmountMinor: 1900, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	f.delete(t, sess)
	token := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, 0).Val()[0]
	body := []byte(`{"user_id":"` + uid + `","tombstone":"` + token + `"}`)
	if err := f.svc.Purge(ctx, body); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("purge with Stripe down = %v; want a retryable error", err)
	}
	if s, _ := b.Subscription(ctx, uid); s.SubscriptionID != "sub_1" {
		t.Fatal("the failed purge removed the subscription id its retry needs")
	}
	for range 2 { // the retry, and QStash's redelivery of it
		if err := f.svc.Purge(ctx, body); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(stripe.cancelled, []string{"sub_1", "sub_1"}) {
		t.Fatalf("Stripe cancellations: %v", stripe.cancelled)
	}
	if left, _ := f.svc.Verify(ctx, uid, "payer@example.com"); len(left) != 0 {
		t.Fatalf("left after purge: %+v", left)
	}
	if r, err := b.Get(ctx, "in_1"); err != nil || r.AmountMinor != 1900 {
		t.Fatalf("the billing record after deletion: %+v, %v", r, err)
	}
	if list, _ := b.ForUser(ctx, uid); len(list) != 0 {
		t.Fatal("the deleted user still reaches their billing records")
	}
}
