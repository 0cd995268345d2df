package stripeapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// mock is a Client for stripe-mock (STRIPE_MOCK_URL, started by .ci/run), which checks every
// request against Stripe's OpenAPI description: an unknown parameter or a wrong method fails.
func mock(t *testing.T) *Client {
	t.Helper()
	u := os.Getenv("STRIPE_MOCK_URL")
	if u == "" {
		t.Skip("STRIPE_MOCK_URL is not set (CI starts stripe-mock; see docs/billing.md)")
	}
	return New("sk_test_123", u)
}

func TestCallsAgainstStripeMock(t *testing.T) {
	c := mock(t)
	ctx := context.Background()
	s, err := c.CreateCheckoutSession(ctx, CheckoutParams{Account: "u1", Price: "price_1", Email: "a@example.com",
		SuccessURL: "https://app.example/app/settings?billing=done", CancelURL: "https://app.example/app/settings", IdempotencyKey: "k1"})
	if err != nil || s.URL == "" {
		t.Fatalf("checkout = %+v, %v", s, err)
	}
	if _, err := c.CreateCheckoutSession(ctx, CheckoutParams{Account: "u1", Price: "price_1", Customer: "cus_1",
		SuccessURL: "https://app.example/ok", CancelURL: "https://app.example/no"}); err != nil {
		t.Fatalf("checkout for a customer: %v", err)
	}
	if p, err := c.CreatePortalSession(ctx, "cus_1", "https://app.example/app/settings"); err != nil || p.URL == "" {
		t.Fatalf("portal = %+v, %v", p, err)
	}
	sub, err := c.Subscription(ctx, "sub_1")
	if err != nil || sub.Status == "" || len(sub.Items.Data) == 0 || sub.Items.Data[0].Price.ID == "" {
		t.Fatalf("subscription = %+v, %v", sub, err)
	}
	if _, err := c.CancelSubscription(ctx, "sub_1"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if in, err := c.Invoice(ctx, "in_1"); err != nil || in.Currency == "" {
		t.Fatalf("invoice = %+v, %v", in, err)
	}
	if cn, err := c.CreditNote(ctx, "cn_1"); err != nil || cn.Currency == "" {
		t.Fatalf("credit note = %+v, %v", cn, err)
	}
}

// Every call pins the API version and authenticates; every POST carries an idempotency key.
func TestHeadersAndErrors(t *testing.T) {
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		switch r.URL.Path {
		case "/v1/subscriptions/sub_gone":
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such subscription"}}`))
		case "/v1/invoices/in_down":
			w.WriteHeader(500)
		default:
			w.Write([]byte(`{"id":"x","url":"https://checkout.example/x"}`))
		}
	}))
	defer srv.Close()
	c := New("sk_test_h", srv.URL)
	ctx := context.Background()
	c.CreatePortalSession(ctx, "cus_1", "https://app.example/")
	c.CreateCheckoutSession(ctx, CheckoutParams{Account: "u", Price: "p", IdempotencyKey: "same"})
	for i, h := range got {
		if h.Get("Stripe-Version") != provider.StripeVersion || h.Get("Authorization") != "Bearer sk_test_h" || h.Get("Idempotency-Key") == "" {
			t.Errorf("request %d headers: %v", i, h)
		}
	}
	if got[1].Get("Idempotency-Key") != "same" {
		t.Errorf("checkout idempotency key = %q", got[1].Get("Idempotency-Key"))
	}
	if _, err := c.Subscription(ctx, "sub_gone"); !NotFound(err) {
		t.Errorf("404: %v", err)
	}
	if _, err := c.Invoice(ctx, "in_down"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("500: %v", err)
	}
	srv.Close()
	if _, err := c.Subscription(ctx, "sub_1"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("closed server: %v", err)
	}
}

// Stripe answers the cancellation of a subscription that is already canceled with 404
// resource_missing ("No such subscription", stripe/stripe-go#1887): that is done. Any other
// refusal — a 404 without the code, which a wrong path gets, or a 400 — is not, or an account
// deletion would go on while the subscription may still bill.
func TestCancelAlreadyEnded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		switch r.URL.Path {
		case "/v1/subscriptions/sub_ended":
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"resource_missing","doc_url":"https://stripe.com/docs/error-codes/resource-missing","message":"No such subscription: 'sub_ended'","param":"id","type":"invalid_request_error"}}`))
		case "/v1/subscriptions/sub_refused":
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"code":"subscription_canceled","message":"refused","type":"invalid_request_error"}}`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"message":"Unrecognized request URL (DELETE: ` + r.URL.Path + `).","type":"invalid_request_error"}}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := New("sk_test_c", srv.URL)
	if err := c.Cancel(ctx, "sub_ended"); err != nil {
		t.Errorf("already canceled: %v, want done", err)
	}
	if err := c.Cancel(ctx, "sub_refused"); err == nil {
		t.Error("a 400 counted as cancelled")
	}
	if err := New("sk_test_c", srv.URL+"/wrong").Cancel(ctx, "sub_1"); err == nil {
		t.Error("a 404 without resource_missing (a wrong URL) counted as cancelled")
	}
}

// Against stripe-mock: a cancellation is accepted, and a path Stripe does not have is a 404
// that Cancel does not take for "already over".
func TestCancelAgainstStripeMock(t *testing.T) {
	c := mock(t)
	ctx := context.Background()
	if err := c.Cancel(ctx, "sub_1"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	wrong := New("sk_test_123", os.Getenv("STRIPE_MOCK_URL")+"/v0")
	_, err := wrong.CancelSubscription(ctx, "sub_1")
	if !NotFound(err) {
		t.Fatalf("unknown path: %v, want a 404", err)
	}
	if err := wrong.Cancel(ctx, "sub_1"); err == nil {
		t.Fatal("a 404 for an unknown path counted as cancelled")
	}
}
