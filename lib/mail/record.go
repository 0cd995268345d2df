package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/trymetriqs/metriqs/lib/store"
)

// stored is a message's record in the user's mail hash: the message itself until it is sent,
// and what became of it.
type stored struct {
	Key      string            `json:"key"`
	Kind     string            `json:"kind"`
	To       string            `json:"to"`
	From     Sender            `json:"from"`
	Data     map[string]string `json:"data,omitempty"` // dropped once settled: it holds links with tokens
	Status   string            `json:"status"`
	QueuedAt time.Time         `json:"queued_at"`
	SentAt   time.Time         `json:"sent_at,omitzero"`
	Error    string            `json:"error,omitempty"`
	Attempts int               `json:"attempts,omitempty"`
	// Claim and ClaimUntil: the delivery that may send it now, and until when (a lease, so a
	// delivery that died mid-send does not hold the message for ever).
	Claim      string    `json:"claim,omitempty"`
	ClaimUntil time.Time `json:"claim_until,omitzero"`
	// MessageID and Reply are the Message-ID it was sent with and the server's answer.
	MessageID string `json:"message_id,omitempty"`
	Reply     string `json:"reply,omitempty"`
}

func (r stored) message(userID string) Message {
	return Message{Key: r.Key, UserID: userID, To: r.To, From: r.From, Kind: r.Kind, Data: r.Data}
}

func (r stored) record() Record {
	return Record{Key: r.Key, Kind: r.Kind, To: r.To, Status: r.Status, QueuedAt: r.QueuedAt, SentAt: r.SentAt, Error: r.Error}
}

// settled reports whether the record's fate is decided: nothing will ever send it again.
func (r stored) settled() bool {
	return r.Status == StatusSent || r.Status == StatusBounced || r.Status == StatusFailed
}

func decode(raw string) (stored, error) {
	var r stored
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("mail: decode record: %w", err)
	}
	return r, nil
}

func encode(r stored) string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings, ints and times only: cannot fail
	}
	return string(b)
}

// Sent lists the user's mail records, newest first: what was queued, sent, bounced or failed,
// without the data they were rendered from.
func (s *Service) Sent(ctx context.Context, userID string) ([]Record, error) {
	all, err := s.st.R.HGetAll(ctx, s.mailKey(userID)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Record, 0, len(all))
	for _, raw := range all {
		r, err := decode(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r.record())
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].QueuedAt.Equal(out[j].QueuedAt) {
			return out[i].QueuedAt.After(out[j].QueuedAt)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Bounce reports whether the user's address bounced: an SMTP server refused it permanently.
func (s *Service) Bounce(ctx context.Context, userID string) (BounceInfo, bool, error) {
	raw, err := s.st.R.Get(ctx, s.bounceKey(userID)).Result()
	if err = store.Err(err); errors.Is(err, store.ErrNotFound) {
		return BounceInfo{}, false, nil
	} else if err != nil {
		return BounceInfo{}, false, err
	}
	var b BounceInfo
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return BounceInfo{}, false, fmt.Errorf("mail: decode bounce: %w", err)
	}
	return b, true, nil
}

// ClearBounce forgets a bounce: the address changed or was verified again.
func (s *Service) ClearBounce(ctx context.Context, userID string) error {
	return store.Err(s.st.R.Del(ctx, s.bounceKey(userID)).Err())
}
