package stripesandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/provider"
)

type pending struct {
	id, typ string
	body    []byte
}

// queue records an event with a snapshot of obj (Stripe's events carry the object as it was
// when the event happened); flush sends it once the lock is released, since the webhook
// handler calls back into the sandbox's API.
func (s *Sandbox) queue(typ string, obj any) {
	data, _ := json.Marshal(obj)
	id := s.newID("evt")
	body, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": s.now().Unix(),
		"api_version": provider.StripeVersion, "livemode": false, "data": map[string]json.RawMessage{"object": data}})
	s.pending = append(s.pending, pending{id: id, typ: typ, body: body})
}

// flush sends the queued events in order, one at a time, each signed as Stripe signs. A
// refused delivery is logged and recorded, not retried (the portal page still shows the
// state). The webhook handler calls the API back, whose own flush then finds the sender busy
// and leaves its events to the running one.
func (s *Sandbox) flush(ctx context.Context) {
	for s.hasPending() && s.sendMu.TryLock() {
		for {
			s.mu.Lock()
			out := s.pending
			s.pending = nil
			s.mu.Unlock()
			if len(out) == 0 {
				break
			}
			for _, p := range out {
				s.deliver(ctx, p)
			}
		}
		s.sendMu.Unlock()
	}
}

func (s *Sandbox) hasPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) > 0
}

func (s *Sandbox) deliver(ctx context.Context, p pending) {
	status := s.send(ctx, p.body)
	s.mu.Lock()
	s.events = append(s.events, Event{ID: p.id, Type: p.typ, Status: status})
	s.mu.Unlock()
	if status != http.StatusOK {
		s.o.Logger.Warn("stripe sandbox: webhook refused", "event", p.id, "type", p.typ, "status", status)
	}
}

func (s *Sandbox) send(ctx context.Context, body []byte) int {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, s.o.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", billing.SignatureHeader(body, s.o.WebhookSecret, s.now()))
	resp, err := s.o.Client.Do(req)
	if err != nil {
		s.o.Logger.Warn("stripe sandbox: webhook not delivered", "err", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
