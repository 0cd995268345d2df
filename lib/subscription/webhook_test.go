package subscription

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// Forged, stale, unsigned or malformed deliveries get 400 and change nothing.
func TestWebhookRefuses(t *testing.T) {
	e := newEnv(t)
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	e.sandbox.Do(context.Background(), subID, "yearly") // Stripe's state moved on; a refused event must not fetch it
	e.st.R.Del(context.Background(), e.st.Key("user", uid, "subscription"))
	before := storetest.Values(t, e.st)
	ev := event("evt_forged", "customer.subscription.updated", subID, map[string]any{"metadata": map[string]string{"account": uid}})
	now := time.Now()
	for name, c := range map[string]struct {
		body   []byte
		header string
	}{
		"unsigned":         {ev, ""},
		"forged":           {ev, signed(ev, "whsec_attacker", now)},
		"stale":            {ev, signed(ev, testSecret, now.Add(-6*time.Minute))},
		"body changed":     {append(ev[:len(ev):len(ev)], ' '), signed(ev, testSecret, now)},
		"signed, not JSON": {[]byte("nope"), signed([]byte("nope"), testSecret, now)},
	} {
		if status := e.deliver(c.body, c.header); status != http.StatusBadRequest {
			t.Errorf("%s: %d", name, status)
		}
	}
	if after := storetest.Values(t, e.st); !maps.Equal(before, after) {
		t.Fatalf("a refused webhook changed Redis:\nbefore %v\nafter  %v", before, after)
	}
	// The previous secret (during rotation) is accepted.
	if status := e.deliver(ev, signed(ev, "whsec_previous", now)); status != http.StatusOK {
		t.Fatalf("previous secret: %d", status)
	}
	if s := e.sub(uid); s.Interval != "year" {
		t.Fatalf("after a good event: %+v", s)
	}
}

// The same event twice (Stripe delivers at least once) is handled once: the second delivery
// is acknowledged and changes nothing, even though Stripe's state moved on in between.
func TestWebhookReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	ev := event("evt_once", "customer.subscription.updated", subID, map[string]any{"metadata": map[string]string{"account": uid}})
	if s := e.deliver(ev, signed(ev, testSecret, time.Now())); s != http.StatusOK {
		t.Fatal(s)
	}
	e.st.R.HSet(ctx, e.st.Key("user", uid, "subscription"), "status", "marker")
	if s := e.deliver(ev, signed(ev, testSecret, time.Now())); s != http.StatusOK {
		t.Fatal(s)
	}
	if got := e.sub(uid); got.Status != "marker" {
		t.Fatalf("a replayed event was handled again: %+v", got)
	}
	if ttl := e.st.R.TTL(ctx, e.st.Key("billing", "event", "evt_once")).Val(); ttl < 3*24*time.Hour {
		t.Fatalf("event ledger TTL %v, want > 3 days", ttl)
	}
}

// Events in any order end in Stripe's current state: "updated" (to yearly) arriving before
// "created" (which carried monthly) leaves the account yearly.
func TestWebhookReordered(t *testing.T) {
	e := newEnv(t)
	uid := e.user("u1")
	e.drop.Store(true) // Stripe's own deliveries are lost; the test delivers them in its order
	url, _ := e.svc.Checkout(context.Background(), uid, "pro", "month")
	subID, _ := e.sandbox.Complete(context.Background(), url, "Ada")
	e.sandbox.Do(context.Background(), subID, "yearly")
	meta := map[string]any{"metadata": map[string]string{"account": uid}}
	updated := event("evt_2", "customer.subscription.updated", subID, meta)
	created := event("evt_1", "customer.subscription.created", subID, meta)
	e.drop.Store(false)
	for _, ev := range [][]byte{updated, created} {
		if s := e.deliver(ev, signed(ev, testSecret, time.Now())); s != http.StatusOK {
			t.Fatal(s)
		}
	}
	if s := e.sub(uid); s.Interval != "year" || s.Plan != "pro" {
		t.Fatalf("after updated-then-created: %+v", s)
	}
}

// A webhook for a deleted account writes the billing record, unlinked, and nothing else.
func TestWebhookDeletedAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	// What account deletion leaves: every key of the user gone.
	for _, k := range keys(t, e) {
		if strings.Contains(k, ":user:"+uid) {
			e.st.R.Del(ctx, k)
		}
	}
	before := keys(t, e)
	if err := e.sandbox.Do(ctx, subID, "yearly"); err != nil { // invoice.paid + subscription.updated
		t.Fatal(err)
	}
	e.allDelivered()
	var added []string
	for _, k := range keys(t, e) {
		if !slices.Contains(before, k) {
			added = append(added, k)
		}
	}
	if len(added) == 0 || slices.ContainsFunc(added, func(k string) bool { return strings.Contains(k, uid) }) {
		t.Fatalf("keys written for a deleted account: %v", added)
	}
	recs := 0
	for _, k := range added {
		if strings.HasPrefix(k, e.st.Key("billing", "invoice")) {
			recs++
		}
	}
	if recs != 1 {
		t.Fatalf("want one new billing record, got keys %v", added)
	}
	if s, _ := billing.New(e.st, nil).Subscription(ctx, uid); s.Status != "none" {
		t.Fatalf("subscription written back: %+v", s)
	}
}
