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
