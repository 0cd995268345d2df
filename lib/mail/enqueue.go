package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
)

// sendBody is the body of a send-email message: where its record is, nothing more, so that
// QStash never holds an address or a link with a token.
type sendBody struct {
	UserID string `json:"user_id"`
	Key    string `json:"key"`
}

// Enqueue stores m under its user and publishes its send-email job; nothing is sent inside
// the caller's request. It is idempotent per (UserID, Key): a message already sent, bounced
// or being sent is not queued again, and one still queued is published again under the same
// QStash deduplication id (the caller retrying a failed publish), which QStash folds into the
// first. A refused message is a 400 invalid_request and stores nothing.
func (s *Service) Enqueue(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return asProblem(err)
	}
	r, err := s.store(ctx, m)
	if err != nil {
		return err
	}
	if r.Status != StatusQueued {
		return nil
	}
	_, err = s.pub.Publish(ctx, JobSend, sendBody{UserID: m.UserID, Key: m.Key},
		jobs.DeduplicationID("mail-"+digest(m.UserID, m.Key)), jobs.Retries(Retries))
	if err != nil {
		// The record stays queued: the caller's retry publishes it again.
		return fmt.Errorf("mail: publish %s for %s: %w", m.Kind, m.UserID, err)
	}
	return nil
}

// store writes m's record unless one with its Key exists, and returns the record that is
// there now: ours, or the earlier one. The hash enters the user's index in the same
// transaction (lib/store/index.go), and expires Retention after its newest message.
func (s *Service) store(ctx context.Context, m Message) (stored, error) {
	key := s.mailKey(m.UserID)
	r := stored{Key: m.Key, Kind: m.Kind, To: m.To, From: m.From, Data: m.Data, Status: StatusQueued, QueuedAt: s.now().UTC()}
	var got *redis.StringCmd
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, key, m.Key, encode(r))
		p.Expire(ctx, key, Retention) // the history of a user who gets no more mail (retention.go)
		s.st.Own(ctx, p, m.UserID, key)
		got = p.HGet(ctx, key, m.Key)
		return nil
	})
	if err != nil {
		return stored{}, store.Err(err)
	}
	return decode(got.Val())
}

// digest names the logical message (UserID, Key) in 32 hex characters: its QStash
// deduplication id, Message-ID and provider idempotency key, which must not reveal the key.
func digest(userID, key string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}
