package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/devserver/stripesandbox"
)

// sandboxPost submits one of the sandbox's forms (its checkout and portal buttons), as the
// browser does, and follows the redirect.
func sandboxPost(t *testing.T, u string, form url.Values) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", u, resp.StatusCode)
	}
}

func subscriptionOf(t *testing.T, uid string) billing.Subscription {
	t.Helper()
	s, err := billing.New(devtest.Store, time.Now).Subscription(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eventsAllOK(t *testing.T) {
	t.Helper()
	for _, ev := range devtest.Server.Stripe.Events() {
		if ev.Status != http.StatusOK {
			t.Fatalf("the sandbox's webhook %s (%s) was answered %d", ev.ID, ev.Type, ev.Status)
		}
	}
}

// Upgrade through the sandbox's Checkout, a failed payment (mailed), recovery and
// cancellation through its portal: the local server's functions verify each signed webhook,
// read the subscription back from the sandbox's API and store it; paid invoices become
// billing records.
func TestBillingThroughTheSandbox(t *testing.T) {
	c, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	devtest.Want(t, c.Do("POST", "/api/billing/portal", nil), 409, "no_subscription")
	devtest.Want(t, c.Do("POST", "/api/billing/checkout", map[string]string{"plan": "free", "interval": "month"}), 400, "invalid_request")
	r := c.Do("POST", "/api/billing/checkout", map[string]string{"plan": "pro", "interval": "month"})
	devtest.Want(t, r, 200, "")
	checkoutURL := r.Map()["url"].(string)
	if !strings.HasPrefix(checkoutURL, devtest.Server.URL+stripesandbox.Prefix+"/checkout/") {
		t.Fatalf("checkout url %q", checkoutURL)
	}
	sandboxPost(t, checkoutURL, url.Values{"name": {"Ada Lovelace Ltd"}})
	eventsAllOK(t)
	if s := subscriptionOf(t, uid); s.Plan != "pro" || s.Interval != "month" || s.Status != "active" {
		t.Fatalf("after checkout: %+v", s)
	}
	devtest.Want(t, c.Do("POST", "/api/billing/checkout", map[string]string{"plan": "pro", "interval": "year"}), 409, "already_subscribed")
	r = c.Do("POST", "/api/billing/portal", nil)
	devtest.Want(t, r, 200, "")
	portal := r.Map()["url"].(string)

	sandboxPost(t, portal+"/fail", nil)
	eventsAllOK(t)
	if s := subscriptionOf(t, uid); s.Status != "past_due" || s.PastDueSince.IsZero() {
		t.Fatalf("after a failed payment: %+v", s)
	}
	devtest.WaitMail(t, email, func(m devtest.Mail) bool { return strings.Contains(m.Subject, "payment failed") })
	sandboxPost(t, portal+"/pay", nil)
	eventsAllOK(t)
	if s := subscriptionOf(t, uid); s.Status != "active" || !s.PastDueSince.IsZero() {
		t.Fatalf("after paying: %+v", s)
	}
	sandboxPost(t, portal+"/cancel", nil)
	eventsAllOK(t)
	if s := subscriptionOf(t, uid); s.Plan != "free" || s.Status != "canceled" {
		t.Fatalf("after cancelling: %+v", s)
	}
	if list, err := billing.New(devtest.Store, time.Now).ForUser(context.Background(), uid); err != nil || len(list) != 2 {
		t.Fatalf("billing records = %+v, %v; want the two paid invoices", list, err)
	}
}

// A forged or unsigned event gets 400 invalid_signature and changes nothing.
func TestBillingWebhookRefusesForgeries(t *testing.T) {
	before := devtest.Values(t)
	body := []byte(`{"id":"evt_forged","type":"customer.subscription.updated","data":{"object":{"id":"sub_x"}}}`)
	for _, header := range []string{"", "t=" + strings.Repeat("1", 10) + ",v1=" + strings.Repeat("ab", 32),
		billing.SignatureHeader(body, "whsec_not_ours", time.Now())} {
		req, _ := http.NewRequest("POST", devtest.Server.URL+"/api/billing/webhook", strings.NewReader(string(body)))
		req.Header.Set("Stripe-Signature", header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Error.Code != "invalid_signature" {
			t.Errorf("header %q: %d %q", header, resp.StatusCode, e.Error.Code)
		}
	}
	if after := devtest.Values(t); len(after) != len(before) {
		t.Fatalf("a refused webhook wrote %d keys", len(after)-len(before))
	}
}

// Deleting a paying account cancels its subscription at Stripe at once (the purge), and its
// billing record stays, unlinked.
func TestDeletionCancelsTheSubscription(t *testing.T) {
	c, u := signUp(t)
	uid := u["id"].(string)
	r := c.Do("POST", "/api/billing/checkout", map[string]string{"plan": "pro", "interval": "year"})
	devtest.Want(t, r, 200, "")
	sandboxPost(t, r.Map()["url"].(string), url.Values{"name": {"Grace Ltd"}})
	eventsAllOK(t)
	subID := subscriptionOf(t, uid).SubscriptionID
	records, _ := billing.New(devtest.Store, time.Now).ForUser(context.Background(), uid)
	devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), 202, "")
	awaitQStash(t)
	sendDeletionNotice(t, uid)
	svc, err := deletion.Purger()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"user_id": uid})
	if err := svc.Purge(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	if !devtest.Server.Stripe.Cancelled(subID) {
		t.Fatalf("subscription %s not cancelled at Stripe", subID)
	}
	if len(records) != 1 {
		t.Fatalf("records before deletion: %+v", records)
	}
	if rec, err := billing.New(devtest.Store, time.Now).Get(context.Background(), records[0].InvoiceID); err != nil || rec.AmountMinor == 0 {
		t.Fatalf("the billing record after deletion: %+v, %v", rec, err)
	}
}
