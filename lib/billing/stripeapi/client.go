// Package stripeapi is the few Stripe Billing calls Metriqs makes, over net/http with
// form-encoded bodies: Checkout and Customer Portal sessions, and reading or cancelling
// subscriptions, invoices and credit notes. The official stripe-go is several megabytes of
// linked code for every Stripe object; a function has 10 MiB in all (docs/billing.md), so
// stripe-go is used in tests only, to sign webhook payloads the way Stripe does.
package stripeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/outbound"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// DefaultURL is Stripe's API.
const DefaultURL = "https://api.stripe.com"

// Client calls Stripe with one secret key. The Stripe-Version header pins the object shapes
// read here to the version the rest of Metriqs pins (provider.StripeVersion).
type Client struct {
	key  string
	base string
	http *http.Client
}

// New returns a Client for the secret key at base (DefaultURL, stripe-mock, or the local
// sandbox). Each call ends within 10 s: a webhook or checkout must answer inside its
// function's deadline even when Stripe is slow.
func New(key, base string) *Client {
	if base == "" {
		base = DefaultURL
	}
	return &Client{key: key, base: strings.TrimRight(base, "/"), http: outbound.NewClient(10 * time.Second)}
}

// Error is Stripe's answer to a refused call (4xx), or Unreachable for no answer or a 5xx.
type Error struct {
	Status  int    `json:"-"`
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("stripe: %d %s %s: %s", e.Status, e.Type, e.Code, e.Message)
}

// ErrUnreachable wraps every failure to get an answer from Stripe (network, timeout, 5xx):
// the call may be retried, and a caller answers 502/503 rather than 500.
var ErrUnreachable = errors.New("stripe: unreachable")

// NotFound reports whether err is a 404 from Stripe.
func NotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Missing reports whether err is Stripe saying the object does not exist (404 with code
// resource_missing), as opposed to any 404, which an unknown path also gets.
func Missing(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound && e.Code == "resource_missing"
}

// post sends form to path with an idempotency key, so that a retried call (ours, or a
// function rerun after a crash) creates nothing twice.
func (c *Client) post(ctx context.Context, path string, form url.Values, idempotencyKey string, out any) error {
	return c.send(ctx, http.MethodPost, path, form, idempotencyKey, out)
}

// send is a call with a form body (POST, and DELETE for cancellation).
func (c *Client) send(ctx context.Context, method, path string, form url.Values, idempotencyKey string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if method == http.MethodPost {
		if idempotencyKey == "" {
			idempotencyKey = ids.New()
		}
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	return c.do(req, out)
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return c.do(req, out)
}

func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Stripe-Version", provider.StripeVersion)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrUnreachable, req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%w: reading %s: %w", ErrUnreachable, req.URL.Path, err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%w: %s %s: %d", ErrUnreachable, req.Method, req.URL.Path, resp.StatusCode)
	}
	if resp.StatusCode >= 300 {
		return errorOf(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("stripe: decoding %s: %w", req.URL.Path, err)
	}
	return nil
}

func errorOf(status int, body []byte) error {
	var env struct {
		Error Error `json:"error"`
	}
	_ = json.Unmarshal(body, &env)
	env.Error.Status = status
	return &env.Error
}
