package subscription

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/stripesandbox"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

const (
	testKey    = "sk_test_sandbox"
	testSecret = "whsec_test"
	appURL     = "https://app.example"
)

var testCfg = config.Billing{SecretKey: testKey, WebhookSecrets: []string{testSecret, "whsec_previous"},
	Prices: map[string]string{"pro/month": "price_pro_month", "pro/year": "price_pro_year"}}

// env is a Service whose Stripe is the local sandbox, whose webhooks reach the Service
// through web.Serve as api/billing/webhook does.
type env struct {
	t       *testing.T
	st      *store.Store
	svc     *Service
	sandbox *stripesandbox.Sandbox
	api     *httptest.Server
	hook    *httptest.Server
	mu      sync.Mutex
	mails   []mail.Message
	drop    atomic.Bool // answer every webhook 404 without handling it
	slow    atomic.Pointer[func([]byte)]
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, st: storetest.New(t)}
	e.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.drop.Load() {
			http.NotFound(w, r)
			return
		}
		web.Serve(w, r, web.Methods{http.MethodPost: func(w http.ResponseWriter, r *http.Request) error {
			body, err := Payload(w, r)
			if err != nil {
				return err
			}
			if err := e.svc.Webhook(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
				return err
			}
			return web.JSON(w, http.StatusOK, map[string]bool{"received": true})
		}})
	}))
	t.Cleanup(e.hook.Close)
	e.api = httptest.NewUnstartedServer(nil)
	e.api.Start()
	t.Cleanup(e.api.Close)
	e.sandbox = stripesandbox.New(stripesandbox.Options{Key: testKey, WebhookSecret: testSecret, WebhookURL: e.hook.URL,
		BaseURL: e.api.URL + stripesandbox.Prefix, Prices: map[string]string{"price_pro_month": "month", "price_pro_year": "year"},
		Slow: func(b []byte) {
			if f := e.slow.Load(); f != nil {
				(*f)(b)
			}
		}})
	e.api.Config.Handler = e.sandbox.Handler()
	notices := notice.New(e.enqueue, appURL)
	e.svc = New(e.st, stripeapi.New(testKey, e.api.URL+stripesandbox.Prefix), testCfg, appURL,
		func() (Notifier, error) { return notices, nil }, time.Now)
	return e
}

func (e *env) enqueue(_ context.Context, m mail.Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mails = append(e.mails, m)
	return nil
}

// user creates a live account's record (lib/account's fields that billing reads).
func (e *env) user(name string) string {
	id := ids.New()
	e.st.R.HSet(context.Background(), e.st.Key("user", id), "email", name+"@example.com")
	return id
}

func (e *env) sub(uid string) billing.Subscription {
	s, err := billing.New(e.st, time.Now).Subscription(context.Background(), uid)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// subscribe takes uid through Checkout to pro at interval and returns the subscription id.
func (e *env) subscribe(uid, interval string) string {
	e.t.Helper()
	url, err := e.svc.Checkout(context.Background(), uid, plan.Pro, plan.Interval(interval))
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := e.sandbox.Complete(context.Background(), url, "Ada Lovelace Ltd")
	if err != nil {
		e.t.Fatal(err)
	}
	e.allDelivered()
	return id
}

// allDelivered fails the test unless every webhook the sandbox sent was answered 200.
func (e *env) allDelivered() {
	e.t.Helper()
	for _, ev := range e.sandbox.Events() {
		if ev.Status != http.StatusOK {
			e.t.Fatalf("webhook %s (%s) answered %d", ev.ID, ev.Type, ev.Status)
		}
	}
}

func planID(s string) plan.ID         { return plan.ID(s) }
func interval(s string) plan.Interval { return plan.Interval(s) }

var billingOff = config.Billing{}

func keys(t *testing.T, e *env) []string { return storetest.Keys(t, e.st) }

// deliver sends payload signed with secret at time at, as Stripe does, and returns the status;
// 409 (another instance holds the event or the subscription) is retried, as Stripe retries.
func (e *env) deliver(payload []byte, header string) int {
	for range 50 {
		req, _ := http.NewRequest(http.MethodPost, e.hook.URL, bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict {
			return resp.StatusCode
		}
		time.Sleep(20 * time.Millisecond)
	}
	return http.StatusConflict
}

func signed(payload []byte, secret string, at time.Time) string {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// event is a Stripe event of typ about object {id: objID, …extra}.
func event(id, typ, objID string, extra map[string]any) []byte {
	obj := map[string]any{"id": objID}
	for k, v := range extra {
		obj[k] = v
	}
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": 1796212800, "data": map[string]any{"object": obj}})
	return b
}
