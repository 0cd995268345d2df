package billing

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestSubscriptionPastDueSince(t *testing.T) {
	st := storetest.New(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := New(st, func() time.Time { return now })
	ctx := context.Background()
	st.R.HSet(ctx, st.Key("user", "u"), "email", "a@example.com")
	if s, err := b.Subscription(ctx, "u"); err != nil || s != Free() {
		t.Fatalf("no subscription = %+v, %v", s, err)
	}
	pro := Subscription{Plan: "pro", Interval: "month", Status: "active", SubscriptionID: "sub_1", CustomerID: "cus_1",
		CurrentPeriodEnd: now.AddDate(0, 1, 0)}
	set := func(status string) Subscription {
		s := pro
		s.Status = status
		if err := b.SetSubscription(ctx, "u", s); err != nil {
			t.Fatal(err)
		}
		got, _ := b.Subscription(ctx, "u")
		return got
	}
	if got := set("past_due"); !got.PastDueSince.Equal(now) || got.CurrentPeriodEnd != pro.CurrentPeriodEnd {
		t.Fatalf("first past_due = %+v", got)
	}
	first := now
	now = now.Add(48 * time.Hour)
	if got := set("past_due"); !got.PastDueSince.Equal(first) {
		t.Fatalf("still past due: since %v, want %v", got.PastDueSince, first)
	}
	if got := set("active"); !got.PastDueSince.IsZero() || !got.Paying() {
		t.Fatalf("recovered = %+v", got)
	}
	if ok, _ := st.R.SIsMember(ctx, st.IndexKey("u"), b.subKey("u")).Result(); !ok {
		t.Fatal("the subscription is not in the user's index (deletion would miss it)")
	}
}

// A closed account gets nothing written; an ended subscription never replaces a billing one.
func TestSetSubscriptionRefuses(t *testing.T) {
	st := storetest.New(t)
	b := New(st, time.Now)
	ctx := context.Background()
	st.R.HSet(ctx, st.Key("user", "gone"), "email", "a@example.com", "deleted", "1")
	if err := b.SetSubscription(ctx, "gone", Subscription{Plan: "pro", Status: "active"}); err != ErrAccountGone {
		t.Fatalf("closed account: %v", err)
	}
	if err := b.SetSubscription(ctx, "purged", Subscription{Plan: "pro", Status: "active"}); err != ErrAccountGone {
		t.Fatalf("purged account: %v", err)
	}
	if n := len(storetest.Keys(t, st)); n != 1 {
		t.Fatalf("%d keys after refused writes", n)
	}
	st.R.HSet(ctx, st.Key("user", "u"), "email", "b@example.com")
	b.SetSubscription(ctx, "u", Subscription{Plan: "pro", Status: "active", SubscriptionID: "sub_new"})
	b.SetSubscription(ctx, "u", Subscription{Plan: "free", Status: "canceled", SubscriptionID: "sub_old"})
	if got, _ := b.Subscription(ctx, "u"); got.SubscriptionID != "sub_new" || got.Plan != "pro" {
		t.Fatalf("a late end of the old subscription replaced the new one: %+v", got)
	}
}
