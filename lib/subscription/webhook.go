package subscription

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Event is the envelope of a Stripe event; the handlers read only ids from data.object and
// fetch the current object from Stripe, so an old or reordered event never writes old state.
type Event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// eventTTL outlives Stripe's retries (up to 3 days) so a redelivery is recognised as done.
const eventTTL = 4 * 24 * time.Hour

// claimTTL bounds how long a handler that died holds an event: Stripe's next retry (an hour
// or more later) finds it free. It exceeds the webhook function's deadline.
const claimTTL = 60 * time.Second

var (
	errBadSignature = problem.New(http.StatusBadRequest, "invalid_signature", "The Stripe-Signature header is missing or does not match.")
	errBadEvent     = problem.Invalid("body", "The body is not a Stripe event.")
	errInFlight     = problem.Conflict("event_in_progress", "This event is being handled; Stripe will retry it.")
)

// Webhook handles one delivery: its signature is verified over the raw body before anything
// is read; an event already handled is acknowledged with no effect; an event being handled
// by another instance is refused for now (409, Stripe retries); a failure releases the event
// for Stripe's retry. Unknown event types are acknowledged.
func (s *Service) Webhook(ctx context.Context, payload []byte, signature string) error {
	if err := billing.Verify(payload, signature, s.cfg.WebhookSecrets, s.now()); err != nil {
		return errBadSignature
	}
	var ev Event
	if err := json.Unmarshal(payload, &ev); err != nil || ev.ID == "" || ev.Type == "" || len(ev.ID) > 255 {
		return errBadEvent
	}
	claimed, err := s.claim(ctx, ev.ID)
	if err != nil || !claimed {
		return err
	}
	if err := s.handle(ctx, ev); err != nil {
		s.st.R.Del(context.WithoutCancel(ctx), s.eventKey(ev.ID))
		return fmt.Errorf("subscription: event %s (%s): %w", ev.ID, ev.Type, err)
	}
	return store.Err(s.st.R.Set(ctx, s.eventKey(ev.ID), "done", eventTTL).Err())
}

func (s *Service) eventKey(id string) string { return s.st.Key("billing", "event", id) }

// claim takes the event for this delivery: false (and no error) when it was already handled.
func (s *Service) claim(ctx context.Context, id string) (bool, error) {
	ok, err := s.st.R.SetNX(ctx, s.eventKey(id), "running", claimTTL).Result()
	if err != nil {
		return false, store.Err(err)
	}
	if ok {
		return true, nil
	}
	v, err := s.st.R.Get(ctx, s.eventKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return s.claim(ctx, id) // released by a failed handler a moment ago
	}
	if err != nil {
		return false, store.Err(err)
	}
	if v == "done" {
		return false, nil
	}
	return false, errInFlight
}

// handle dispatches by type. checkout.session.completed, the customer.subscription.* events
// and invoice events all come down to "read the subscription now"; paid invoices and issued
// credit notes also write the billing record.
func (s *Service) handle(ctx context.Context, ev Event) error {
	var obj struct {
		ID                string            `json:"id"`
		Subscription      string            `json:"subscription"`
		ClientReferenceID string            `json:"client_reference_id"`
		Metadata          map[string]string `json:"metadata"`
		Mode              string            `json:"mode"`
	}
	if err := json.Unmarshal(ev.Data.Object, &obj); err != nil {
		return errBadEvent
	}
	switch ev.Type {
	case "checkout.session.completed":
		if obj.Mode != "subscription" || obj.Subscription == "" {
			return nil
		}
		return s.Sync(ctx, obj.Subscription, obj.ClientReferenceID)
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
		"customer.subscription.paused", "customer.subscription.resumed":
		return s.Sync(ctx, obj.ID, obj.Metadata["account"])
	case "invoice.paid":
		return s.invoicePaid(ctx, obj.ID)
	case "invoice.payment_failed":
		return s.paymentFailed(ctx, obj.ID)
	case "credit_note.created", "credit_note.updated":
		return s.creditNote(ctx, obj.ID)
	}
	return nil
}
