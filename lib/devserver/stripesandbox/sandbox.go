// Package stripesandbox is the local server's Stripe: the few API calls Metriqs makes
// (lib/billing/stripeapi), a checkout page and a customer portal, and webhooks signed exactly
// as Stripe signs them (lib/billing.SignatureHeader, which tests check against stripe-go),
// sent to /api/billing/webhook. Upgrade, plan change, failed payment, recovery, refund and
// cancellation can all be driven from its pages, so billing runs end to end with one command
// and no Stripe keys. It keeps its state in memory and is mounted only by lib/devserver
// (never linked into a function: lib/routes TestFunctionImports); lib/config refuses its key
// and webhook secret outside development.
package stripesandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
)

// Prefix is where the local server mounts the sandbox; STRIPE_API_URL is APP_URL + Prefix.
const Prefix = "/_dev/stripe"

// Options configures a Sandbox.
type Options struct {
	Key           string            // the secret key API calls must carry
	WebhookSecret string            // signs the webhooks
	WebhookURL    string            // APP_URL + "/api/billing/webhook"
	BaseURL       string            // APP_URL + Prefix: where its pages are
	Prices        map[string]string // price id → interval ("month", "year")
	Now           func() time.Time
	Client        *http.Client // sends the webhooks
	// Slow, when set, is called with each API answer before it is sent (tests: to hold an
	// answer that carries an old state until a newer one has been read).
	Slow   func(body []byte)
	Logger *slog.Logger
}

// Sandbox is one local Stripe.
type Sandbox struct {
	o   Options
	mu  sync.Mutex
	seq int
	// The objects, by id, as their API JSON.
	checkouts map[string]*checkout
	portals   map[string]string // portal session → customer
	returns   map[string]string // portal session → return_url
	customers map[string]*customer
	subs      map[string]*subscription
	invoices  map[string]*invoice
	notes     map[string]*creditNote
	// Events lists every event sent, oldest first (tests read it).
	events  []Event
	pending []pending
	sendMu  sync.Mutex
}

// Event is a webhook the sandbox sent, and the status the endpoint answered.
type Event struct {
	ID, Type string
	Status   int
}

// New returns a Sandbox.
func New(o Options) *Sandbox {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Sandbox{o: o, checkouts: map[string]*checkout{}, portals: map[string]string{}, returns: map[string]string{}, customers: map[string]*customer{},
		subs: map[string]*subscription{}, invoices: map[string]*invoice{}, notes: map[string]*creditNote{}}
}

// Events returns the events sent so far.
func (s *Sandbox) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// newID is a Stripe-looking id (prefix_…), unique in this sandbox.
func (s *Sandbox) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_sbx%04d%s", prefix, s.seq, ids.New()[:8])
}

// Handler serves the API under Prefix+"/v1/" and the pages under Prefix.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Prefix+"/v1/checkout/sessions", s.api(s.createCheckout))
	mux.HandleFunc("POST "+Prefix+"/v1/billing_portal/sessions", s.api(s.createPortal))
	mux.HandleFunc("GET "+Prefix+"/v1/subscriptions/{id}", s.api(s.getSubscription))
	mux.HandleFunc("DELETE "+Prefix+"/v1/subscriptions/{id}", s.api(s.cancelSubscription))
	mux.HandleFunc("GET "+Prefix+"/v1/invoices/{id}", s.api(s.getInvoice))
	mux.HandleFunc("GET "+Prefix+"/v1/credit_notes/{id}", s.api(s.getCreditNote))
	mux.HandleFunc("GET "+Prefix+"/checkout/{id}", s.checkoutPage)
	mux.HandleFunc("POST "+Prefix+"/checkout/{id}", s.checkoutPay)
	mux.HandleFunc("GET "+Prefix+"/portal/{id}", s.portalPage)
	mux.HandleFunc("POST "+Prefix+"/portal/{id}/{action}", s.portalAction)
	return mux
}

// apiError is Stripe's error envelope.
type apiError struct {
	status         int
	typ, code, msg string
}

func (e *apiError) Error() string { return e.msg }

func missing(what, id string) *apiError {
	return &apiError{http.StatusNotFound, "invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", what, id)}
}

func invalid(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "invalid_request_error", "parameter_missing", msg}
}

// api checks the secret key and the pinned version header, holds the lock, and writes the
// object or Stripe's error envelope.
func (s *Sandbox) api(f func(r *http.Request) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+s.o.Key {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"type": "invalid_request_error", "message": "Invalid API Key provided"}})
			return
		}
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		v, e := f(r)
		body, _ := json.Marshal(v) // under the lock: the object as this call left it
		s.mu.Unlock()
		if s.o.Slow != nil {
			s.o.Slow(body)
		}
		// After the answer, as Stripe does: the caller may hold a lock the webhook needs.
		go s.flush(context.Background())
		if e != nil {
			w.WriteHeader(e.status)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"type": e.typ, "code": e.code, "message": e.msg}})
			return
		}
		w.Write(body)
	}
}

func form(r *http.Request, k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
