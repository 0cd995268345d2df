package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
)

// Outgoing is a rendered message ready for a Transport.
type Outgoing struct {
	// From is the sender's configured address, maybe with a display name; To one address.
	From, To string
	// MessageID ("<…@domain>") and IdempotencyKey are the same for every attempt at one
	// logical message, so a provider or a reader can recognise a retried send.
	MessageID      string
	IdempotencyKey string
	// Date is when the message was queued (RFC 5322 §3.6.1: when it was ready to be sent),
	// the same on every attempt.
	Date time.Time
	Content
}

// Receipt is what the SMTP server answered to the end of DATA (it often carries the
// provider's queue id), kept in the record.
type Receipt struct{ Reply string }

// Transport hands a message to a mail server. A *Refusal error says the server refused the
// recipient for good; any other error is taken as temporary, and the send is retried.
type Transport interface {
	Send(ctx context.Context, o Outgoing) (Receipt, error)
}

// Refusal is a permanent (5xx) refusal of the recipient or the message: retrying cannot help,
// and the address is recorded as bouncing.
type Refusal struct {
	Code  int
	Reply string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("mail: refused permanently: %d %s", r.Code, r.Reply)
}

// Outbox is what delivery needs besides the store: the transport and each sender's address.
type Outbox struct {
	Transport Transport
	From      map[Sender]string
}

// ClaimLease is how long a delivery holds a message it is sending. It outlasts any SMTP
// conversation the transport allows, so only a delivery that died lets another take over.
const ClaimLease = 2 * time.Minute

// errBusy: another delivery holds the claim. QStash retries later and then finds it sent.
var errBusy = errors.New("mail: another delivery is sending this message")

// errUnrenderable marks a message no retry can render (unknown kind, unsafe content).
var errUnrenderable = errors.New("cannot be rendered")

// claim is a delivery's hold on one message.
type claim struct {
	userID, token string
	rec           stored
}

// Deliver is the work of one send-email message: claim → render → send → record. It sends
// at most once per (UserID, Key): a settled message is skipped, and the claim (a
// compare-and-set in Redis) lets only one of several concurrent deliveries send. A 5xx
// refusal is recorded as a bounce and ends as jobs.Permanent; anything temporary releases
// the claim and returns the error, so QStash retries with backoff.
func (s *Service) Deliver(ctx context.Context, body []byte, out Outbox) error {
	var b sendBody
	if err := json.Unmarshal(body, &b); err != nil || b.UserID == "" || b.Key == "" {
		return jobs.Permanent(fmt.Errorf("send-email: malformed message %q", body))
	}
	c, err := s.claim(ctx, b.UserID, b.Key)
	if err != nil || c == nil {
		return err
	}
	o, err := s.compose(ctx, c, out)
	if err != nil {
		return s.abandon(ctx, c, err)
	}
	rc, err := out.Transport.Send(ctx, o)
	err = s.conclude(ctx, c, o, rc, err)
	s.tidy(ctx, b.UserID)
	return err
}

// claim takes the message for this delivery, or returns nil when there is nothing to send
// (already settled, or the record is gone with its account).
func (s *Service) claim(ctx context.Context, userID, key string) (*claim, error) {
	c := &claim{userID: userID, token: ids.New()}
	found, err := s.update(ctx, userID, key, func(r *stored) (bool, error) {
		// update calls this again when another delivery's write aborted the transaction: what
		// an aborted attempt claimed must not survive into an attempt that finds it settled.
		c.rec = stored{}
		now := s.now()
		switch {
		case r.settled():
			return false, nil
		case r.Status == StatusSending && now.Before(r.ClaimUntil):
			return false, errBusy
		}
		r.Status, r.Claim, r.ClaimUntil, r.Attempts = StatusSending, c.token, now.Add(ClaimLease), r.Attempts+1
		c.rec = *r
		return true, nil
	}, nil)
	if err != nil || !found || c.rec.Claim == "" {
		return nil, err
	}
	return c, nil
}

// compose renders the claimed message and addresses it.
func (s *Service) compose(ctx context.Context, c *claim, out Outbox) (Outgoing, error) {
	from := out.From[c.rec.From]
	if from == "" {
		return Outgoing{}, fmt.Errorf("send-email: no address configured for the %s sender (MAIL_FROM_%s)", c.rec.From, strings.ToUpper(string(c.rec.From)))
	}
	content, err := Render(ctx, c.rec.message(c.userID))
	if err != nil {
		return Outgoing{}, err
	}
	id := digest(c.userID, c.rec.Key)
	return Outgoing{From: from, To: c.rec.To, MessageID: "<" + id + "@" + domainOf(from) + ">", IdempotencyKey: id, Date: c.rec.QueuedAt, Content: content}, nil
}

// abandon ends a delivery that could not compose its message: for ever when nothing can
// render it, else until QStash's retry.
func (s *Service) abandon(ctx context.Context, c *claim, err error) error {
	if errors.Is(err, errUnrenderable) || jobs.IsPermanent(err) {
		s.settle(ctx, c, StatusFailed, Receipt{}, "", err, nil)
		return jobs.Permanent(err)
	}
	s.release(ctx, c, err)
	return err
}

// conclude records the transport's answer and tells QStash whether to retry.
func (s *Service) conclude(ctx context.Context, c *claim, o Outgoing, rc Receipt, err error) error {
	var ref *Refusal
	switch {
	case err == nil:
		s.settle(ctx, c, StatusSent, rc, o.MessageID, nil, nil)
		return nil
	case errors.As(err, &ref):
		s.settle(ctx, c, StatusBounced, rc, o.MessageID, err, s.recordBounce(ctx, c, ref))
		return jobs.Permanent(fmt.Errorf("send-email %s: %w", c.rec.Kind, err))
	case jobs.IsPermanent(err):
		s.settle(ctx, c, StatusFailed, rc, o.MessageID, err, nil)
		return fmt.Errorf("send-email %s: %w", c.rec.Kind, err)
	default:
		s.release(ctx, c, err)
		return fmt.Errorf("send-email %s: %w", c.rec.Kind, err)
	}
}

// domainOf is the domain of an address like "Metriqs <account@mail.example.com>".
func domainOf(addr string) string {
	d := addr[strings.LastIndexByte(addr, '@')+1:]
	return strings.TrimRight(strings.TrimSpace(d), ">")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

// logged reports a record that could not be written; the job's answer to QStash does not
// change for it (a sent message reported as failed would only be sent again).
func logged(what string, c *claim, err error) {
	if err != nil {
		slog.Error("send-email: "+what, "user_id", c.userID, "key", c.rec.Key, "err", err)
	}
}
