// Package bouncehook receives the bounces a mail provider reports after its SMTP server had
// accepted a message (250): the receiving server refused it later, and the provider tells us
// by webhook. lib/mail already records a refusal during the SMTP conversation; this is the
// other half. Deliveries follow the Standard Webhooks specification (standardwebhooks.com),
// which Resend (through Svix) uses, and carry Resend's email.bounced event: a permanent
// bounce marks the address bounced, exactly as a 5xx does (mail.Bounce, GET /api/me).
package bouncehook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Marker records b for the live account whose current address is email (b.Address becomes
// that address as the account stores it), and reports whether there was one (lib/account
// MarkBounced with lib/mail QueueBounce).
type Marker func(ctx context.Context, email string, b mail.BounceInfo) (bool, error)

// Hook verifies and applies bounce deliveries.
type Hook struct {
	st      *store.Store
	secrets []string
	now     func() time.Time
	mark    Marker
}

// New returns a Hook checking signatures with secrets (MAIL_WEBHOOK_SECRET, …).
func New(st *store.Store, secrets []string, now func() time.Time, mark Marker) *Hook {
	return &Hook{st: st, secrets: secrets, now: now, mark: mark}
}

// event is the part of Resend's webhook payload a bounce needs.
type event struct {
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		To     []string `json:"to"`
		Bounce struct {
			Type    string `json:"type"`
			SubType string `json:"subType"`
			Message string `json:"message"`
		} `json:"bounce"`
	} `json:"data"`
}

// seenFor is how long a delivery id is remembered: past Tolerance either way, after which
// the timestamp check refuses the delivery anyway.
const seenFor = 2*Tolerance + time.Minute

// Receive applies one delivery. A forged or stale one is a 400 and changes nothing; one seen
// before (the provider retrying, or a replay within Tolerance) is accepted and changes
// nothing; events other than a permanent email.bounced are accepted and ignored.
func (h *Hook) Receive(ctx context.Context, header http.Header, body []byte) error {
	if len(h.secrets) == 0 {
		return problem.NotFound("No mail webhook is configured (MAIL_WEBHOOK_SECRET).")
	}
	id, err := Verify(header, body, h.secrets, h.now())
	if err != nil {
		return problem.New(http.StatusBadRequest, "invalid_signature", "The webhook signature is missing, stale or wrong.")
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return problem.Invalid("body", "The webhook body is not a JSON event.")
	}
	first, err := h.st.R.SetNX(ctx, h.st.Key("mailhook", id), 1, seenFor).Result()
	if err != nil || !first {
		return store.Err(err)
	}
	if err := h.apply(ctx, ev); err != nil {
		// Forget the id, so that the provider's retry is applied.
		h.st.R.Del(context.WithoutCancel(ctx), h.st.Key("mailhook", id))
		return err
	}
	return nil
}

// apply marks every recipient of a permanent bounce.
func (h *Hook) apply(ctx context.Context, ev event) error {
	if ev.Type != "email.bounced" || ev.Data.Bounce.Type != "Permanent" {
		return nil
	}
	at := ev.CreatedAt
	if at.IsZero() {
		at = h.now()
	}
	reason := trim(fmt.Sprintf("%s bounce (%s): %s", ev.Data.Bounce.Type, ev.Data.Bounce.SubType, ev.Data.Bounce.Message))
	var errs []error
	for _, to := range ev.Data.To {
		_, err := h.mark(ctx, to, mail.BounceInfo{Reason: reason, At: at.UTC()})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}
