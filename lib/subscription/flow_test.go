package subscription

import (
	"context"
	"slices"
	"testing"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// Upgrade, plan change, failed payment, recovery, refund and cancellation, as the sandbox's
// pages drive them: each ends in the state Stripe holds, with a billing record per paid
// invoice and credit note, and one e-mail per failed invoice.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	if s := e.sub(uid); s.Plan != "pro" || s.Interval != "month" || s.Status != "active" || s.SubscriptionID != subID ||
		s.CustomerID == "" || s.CurrentPeriodEnd.IsZero() {
		t.Fatalf("after checkout: %+v", s)
	}
	if _, err := e.svc.Checkout(ctx, uid, "pro", "year"); problem.CodeOf(err) != "already_subscribed" {
		t.Fatalf("a second checkout: %v", err)
	}
	if url, err := e.svc.Portal(ctx, uid); err != nil || url == "" {
		t.Fatalf("portal: %q %v", url, err)
	}
	records := func(n int) []billing.Record {
		t.Helper()
		list, err := billing.New(e.st, nil).ForUser(ctx, uid)
		if err != nil || len(list) != n {
			t.Fatalf("records = %+v, %v; want %d", list, err, n)
		}
		return list
	}
	if r := records(1)[0]; r.AmountMinor != 2280 || r.TaxMinor != 380 || r.BillingName != "Ada Lovelace Ltd" || r.Address == "" ||
		r.TaxID != "eu_vat DE123456789" || r.Number == "" || r.Kind != "invoice" {
		t.Fatalf("first record = %+v", r)
	}
	step := func(action string) billing.Subscription {
		t.Helper()
		if err := e.sandbox.Do(ctx, subID, action); err != nil {
			t.Fatal(err)
		}
		e.allDelivered()
		return e.sub(uid)
	}
	if s := step("yearly"); s.Interval != "year" || s.Status != "active" {
		t.Fatalf("after switching to yearly: %+v", s)
	}
	records(2)
	s := step("fail")
	if s.Status != "past_due" || s.PastDueSince.IsZero() || s.Plan != "pro" {
		t.Fatalf("after a failed payment: %+v", s)
	}
	if len(e.mails) != 1 || e.mails[0].Kind != "payment_failed" || e.mails[0].To != "u1@example.com" ||
		e.mails[0].Data["url"] != appURL+"/app/settings#billing" || e.mails[0].Data["grace_ends"] == "" {
		t.Fatalf("mails after the failure: %+v", e.mails)
	}
	records(2) // an unpaid invoice is no record
	if s := step("pay"); s.Status != "active" || !s.PastDueSince.IsZero() {
		t.Fatalf("after paying: %+v", s)
	}
	records(3)
	step("refund")
	list := records(4)
	i := slices.IndexFunc(list, func(r billing.Record) bool { return r.Kind == "credit_note" })
	if i < 0 || list[i].AmountMinor != 22800 || list[i].Number == "" || list[i].BillingName == "" {
		t.Fatalf("no credit note record in %+v", list)
	}
	if s := step("cancel"); s.Plan != "free" || s.Status != "canceled" || s.CustomerID == "" {
		t.Fatalf("after cancelling: %+v", s)
	}
	if len(e.mails) != 1 {
		t.Fatalf("%d mails in all, want 1", len(e.mails))
	}
}

func TestCheckoutRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u2")
	for _, c := range []struct{ plan, interval, code string }{
		{"free", "month", "invalid_request"}, {"gold", "month", "invalid_request"}, {"pro", "week", "invalid_request"},
	} {
		if _, err := e.svc.Checkout(ctx, uid, planID(c.plan), interval(c.interval)); problem.CodeOf(err) != c.code {
			t.Errorf("%s/%s: %v", c.plan, c.interval, err)
		}
	}
	if _, err := e.svc.Portal(ctx, uid); problem.CodeOf(err) != "no_subscription" {
		t.Errorf("portal without a customer: %v", err)
	}
	off := New(e.st, nil, billingOff, appURL, nil, nil)
	if _, err := off.Checkout(ctx, uid, "pro", "month"); problem.CodeOf(err) != "billing_disabled" {
		t.Errorf("billing off: %v", err)
	}
}

// Stripe down during checkout: a clear 503, and nothing written.
func TestCheckoutStripeDown(t *testing.T) {
	e := newEnv(t)
	uid := e.user("u3")
	before := len(keys(t, e))
	e.api.Close()
	_, err := e.svc.Checkout(context.Background(), uid, "pro", "month")
	if p, ok := problem.As(err); !ok || p.Status != 503 || p.Code != "billing_unavailable" {
		t.Fatalf("checkout with Stripe down: %v", err)
	}
	if _, err := e.svc.Portal(context.Background(), uid); problem.CodeOf(err) != "no_subscription" {
		t.Fatalf("portal: %v", err)
	}
	if after := len(keys(t, e)); after != before {
		t.Fatalf("%d keys before, %d after", before, after)
	}
}

// TestCancelAtPeriodEnd: the portal's default cancellation keeps the paid plan until the
// period ends (cancel_at_period_end stored, for Settings to say so), can be taken back, and
// at the period's end leaves the free plan.
func TestCancelAtPeriodEnd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	step := func(action string) billing.Subscription {
		t.Helper()
		if err := e.sandbox.Do(ctx, subID, action); err != nil {
			t.Fatal(err)
		}
		e.allDelivered()
		return e.sub(uid)
	}
	if s := step("cancel_at_period_end"); s.Plan != "pro" || s.Status != "active" || !s.CancelAtPeriodEnd {
		t.Fatalf("after cancel at period end: %+v", s)
	}
	if s := step("renew"); s.Plan != "pro" || s.CancelAtPeriodEnd {
		t.Fatalf("after renewing: %+v", s)
	}
	if err := e.sandbox.Do(ctx, subID, "end_period"); err == nil {
		t.Fatal("the period's end ended a subscription not set to cancel")
	}
	step("cancel_at_period_end")
	if s := step("end_period"); s.Plan != "free" || s.Status != "canceled" {
		t.Fatalf("after the period's end: %+v", s)
	}
}
