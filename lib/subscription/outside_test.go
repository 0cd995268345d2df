package subscription

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// outside is the sandbox's Stripe plus objects made outside our Checkout (in the Dashboard):
// subscriptions and invoices with no metadata[account], only a customer.
type outside struct {
	Stripe
	mu       sync.Mutex
	subs     map[string]*stripeapi.Subscription
	invoices map[string]*stripeapi.Invoice
}

func (o *outside) Subscription(ctx context.Context, id string) (*stripeapi.Subscription, error) {
	o.mu.Lock()
	s := o.subs[id]
	o.mu.Unlock()
	if s == nil {
		return o.Stripe.Subscription(ctx, id)
	}
	c := *s
	return &c, nil
}

func (o *outside) Invoice(ctx context.Context, id string) (*stripeapi.Invoice, error) {
	o.mu.Lock()
	in := o.invoices[id]
	o.mu.Unlock()
	if in == nil {
		return o.Stripe.Invoice(ctx, id)
	}
	c := *in
	return &c, nil
}

// dashboardSub is an active yearly pro subscription of customer, as the Dashboard makes it:
// no metadata.
func dashboardSub(id, customer string) *stripeapi.Subscription {
	var s stripeapi.Subscription
	raw := fmt.Sprintf(`{"id":%q,"customer":%q,"status":"active","metadata":{},"items":{"data":[{"current_period_end":%d,"price":{"id":"price_pro_year"}}]}}`,
		id, customer, time.Now().AddDate(1, 0, 0).Unix())
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		panic(err)
	}
	return &s
}

// withOutside puts the outside objects in front of the env's Stripe.
func withOutside(e *env) *outside {
	o := &outside{Stripe: e.svc.stripe, subs: map[string]*stripeapi.Subscription{}, invoices: map[string]*stripeapi.Invoice{}}
	e.svc.stripe, e.svc.canceler = o, o
	return o
}

// A subscription made in the Dashboard for a customer our Checkout created carries no
// metadata[account]: it is attributed to the customer's account, and so is its invoice
// (the billing record is linked, the export lists it). Twenty deliveries at once — its
// created and updated events, each delivered twice, as Stripe may — leave the account on it,
// every one answered 200, the lock released. Run against the real Redis with REDIS_URL.
func TestSubscriptionOutsideCheckoutByCustomer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	first := e.subscribe(uid, "month")
	if err := e.sandbox.Do(ctx, first, "cancel"); err != nil {
		t.Fatal(err)
	}
	e.allDelivered()
	was := e.sub(uid)
	if was.Status != "canceled" || was.CustomerID == "" {
		t.Fatalf("after cancelling: %+v", was)
	}
	o := withOutside(e)
	o.subs["sub_dashboard"] = dashboardSub("sub_dashboard", was.CustomerID)
	var in stripeapi.Invoice
	raw := fmt.Sprintf(`{"id":"in_dashboard","number":"D-1","customer":%q,"status":"paid","created":%d,"currency":"usd",
		"subtotal":19000,"total":19000,"total_excluding_tax":19000,"customer_name":"Ada",
		"parent":{"subscription_details":{"subscription":"sub_dashboard","metadata":{}}}}`, was.CustomerID, time.Now().Unix())
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	o.invoices["in_dashboard"] = &in

	status := make([]int, 20)
	storetest.Together(20, func(i int) {
		var ev []byte
		switch {
		case i%10 == 0:
			ev = event(fmt.Sprintf("evt_inv%d", i%2), "invoice.paid", "in_dashboard", nil)
		case i%2 == 0:
			ev = event(fmt.Sprintf("evt_o%d", i%5), "customer.subscription.created", "sub_dashboard", nil)
		default:
			ev = event(fmt.Sprintf("evt_o%d", i%5), "customer.subscription.updated", "sub_dashboard", nil)
		}
		status[i] = e.deliver(ev, signed(ev, testSecret, time.Now()))
	})
	for i, s := range status {
		if s != http.StatusOK {
			t.Errorf("delivery %d: %d", i, s)
		}
	}
	if s := e.sub(uid); s.Plan != "pro" || s.Interval != "year" || s.Status != "active" || s.SubscriptionID != "sub_dashboard" {
		t.Fatalf("end state %+v, want the Dashboard's subscription, pro yearly", s)
	}
	recs, err := billing.New(e.st, time.Now).ForUser(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range recs {
		if r.InvoiceID == "in_dashboard" {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("the Dashboard invoice is not the account's: records %+v", recs)
	}
	if n := e.st.R.Exists(ctx, e.st.Key("billing", "lock", "sub_dashboard")).Val(); n != 0 {
		t.Fatal("the subscription's lock outlived the handlers")
	}
}

// A subscription of a customer no subscription of ours has named is acknowledged and writes
// nothing but the event's ledger entry (and its invoice's record, unlinked: the law keeps
// it); so is one of a customer whose account was deleted (the link goes with the account).
func TestSubscriptionOutsideCheckoutUnknownCustomer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	e.subscribe(uid, "month")
	o := withOutside(e)
	o.subs["sub_stranger"] = dashboardSub("sub_stranger", "cus_stranger")
	before := storetest.Values(t, e.st)
	ev := event("evt_stranger", "customer.subscription.created", "sub_stranger", nil)
	if s := e.deliver(ev, signed(ev, testSecret, time.Now())); s != http.StatusOK {
		t.Fatalf("delivery: %d", s)
	}
	after := storetest.Values(t, e.st)
	ledger := func(k, _ string) bool { return strings.HasPrefix(k, e.st.Key("billing", "event")) }
	maps.DeleteFunc(before, ledger)
	maps.DeleteFunc(after, ledger)
	if !maps.Equal(before, after) {
		t.Fatalf("an unattributable subscription changed Redis:\nbefore %v\nafter  %v", before, after)
	}
	// The account is deleted: its keys (those in its index) go, the customer link with them.
	cus := e.sub(uid).CustomerID
	for _, k := range e.st.R.SMembers(ctx, e.st.IndexKey(uid)).Val() {
		e.st.R.Del(ctx, k)
	}
	e.st.R.Del(ctx, e.st.Key("user", uid), e.st.IndexKey(uid))
	o.subs["sub_late"] = dashboardSub("sub_late", cus)
	ev = event("evt_late", "customer.subscription.created", "sub_late", nil)
	if s := e.deliver(ev, signed(ev, testSecret, time.Now())); s != http.StatusOK {
		t.Fatalf("delivery after deletion: %d", s)
	}
	for _, k := range storetest.Keys(t, e.st) {
		if strings.Contains(k, uid) {
			t.Fatalf("written for a deleted account: %s", k)
		}
	}
}
