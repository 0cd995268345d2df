package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retention is how long a mail record is kept after it was queued: long enough to answer
// "did you send me that notice?" and to show it in the export, no longer, since a record is
// personal data (address, what was sent, the server's reply). It is enforced two ways:
//   - every send-email job removes its user's records older than Retention (trim), and
//   - every Enqueue sets the user's mail hash to expire Retention after the newest message, so
//     the history of a user who gets no more mail goes too (then no record outlives
//     2 × Retention, and none of an active user outlives Retention by more than a send).
const Retention = 90 * 24 * time.Hour

// trim removes the user's records older than Retention. One WATCHed transaction: a message
// enqueued meanwhile aborts it (and the next job trims). When no record is left the hash is
// gone and its entry leaves the user's index in the same transaction; that is safe because
// Enqueue writes the hash and its index entry together (store), so a later message puts both
// back.
func (s *Service) trim(ctx context.Context, userID string) error {
	hash := s.mailKey(userID)
	err := s.st.R.Watch(ctx, func(tx *redis.Tx) error {
		all, err := tx.HGetAll(ctx, hash).Result()
		if err != nil {
			return err
		}
		old := s.expired(all)
		if len(old) == 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, hash, old...)
			if len(old) == len(all) {
				p.SRem(ctx, s.st.IndexKey(userID), hash)
			}
			return nil
		})
		return err
	}, hash)
	if errors.Is(err, redis.TxFailedErr) {
		return nil
	}
	return wrapStore(err)
}

// expired are the fields of records queued more than Retention ago, except one a delivery
// still holds (its lease has not run out): it is settled, and trimmed, by a later job.
func (s *Service) expired(all map[string]string) []string {
	now, old := s.now(), []string{}
	for field, raw := range all {
		r, err := decode(raw)
		if err == nil && r.Status == StatusSending && now.Before(r.ClaimUntil) {
			continue
		}
		if err != nil || now.Sub(r.QueuedAt) > Retention {
			old = append(old, field)
		}
	}
	return old
}

// tidy trims after a delivery; a failure is logged, never the job's answer (the next job
// trims again).
func (s *Service) tidy(ctx context.Context, userID string) {
	if err := s.trim(context.WithoutCancel(ctx), userID); err != nil {
		slog.Error("send-email: trim mail history", "user_id", userID, "err", err)
	}
}
