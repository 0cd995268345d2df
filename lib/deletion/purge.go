package deletion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Purge is the purge-account job: it revokes what integrations the deletion could not, then
// removes every key of a deleted user, found through the user's index — never by scanning the
// keyspace. Running it twice, or after a partial run, is safe: it revokes and deletes what is
// still there. It refuses to touch an account that is not deleted.
func (s *Service) Purge(ctx context.Context, body []byte) error {
	var in purgeBody
	if err := json.Unmarshal(body, &in); err != nil || !ids.Valid(in.UserID) || (in.Tombstone != "" && !ids.Valid(in.Tombstone)) {
		return jobs.Permanent(fmt.Errorf("purge-account: bad body %q", body))
	}
	return s.purge(ctx, in.UserID, in.Tombstone)
}

// purge disconnects the user's remaining integrations, then removes the user's keys and then
// the tombstone (when known; the sweep knows it).
//
// Revocation comes first, and its failure fails the purge: the integration records hold the
// sealed tokens that revocation needs, so they must stay until the provider has revoked them
// (or the retry is queued with them). The job is then retried by QStash, and once QStash gives
// up, by the daily sweep, since the tombstone stays until a purge completes. Trade-off: the
// 30-day backstop expiry is not lifted for this. If revocation keeps failing for 30 days, the
// records expire with everything else and the grant stays valid at the provider until it
// lapses there or the user removes Metriqs in the provider's settings; keeping tokens beyond
// the 30 days we promise would break the retention promise instead.
func (s *Service) purge(ctx context.Context, userID, tombstone string) error {
	deleted, err := s.isDeleted(ctx, userID)
	if err != nil {
		return err
	}
	if !deleted {
		return jobs.Permanent(fmt.Errorf("purge-account: account %s is not deleted", userID))
	}
	// A no-op when the deletion's own DisconnectAll succeeded: no integration is left.
	if err := s.integrations.DisconnectAll(ctx, userID, web.System); err != nil {
		return fmt.Errorf("purge-account: revoking the integrations of %s failed; keeping them for a retry: %w", userID, err)
	}
	// Before the keys go: the subscription id is in them. A Stripe that does not answer
	// fails the purge, which is retried (like revocation above): no further charge.
	if err := s.cancelSubscription(ctx, userID); err != nil {
		return fmt.Errorf("purge-account: cancelling the subscription of %s at Stripe failed; keeping it for a retry: %w", userID, err)
	}
	if err := s.awaitMail(ctx, userID); err != nil {
		return err
	}
	keys, err := s.keysOf(ctx, userID)
	if err != nil {
		return err
	}
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(start+500, len(keys))]
		if err := store.Err(s.st.R.Del(ctx, batch...).Err()); err != nil {
			return err
		}
	}
	// The user's own record goes last: while it exists, a rerun still knows the e-mail.
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.st.Key("user", userID), s.st.IndexKey(userID))
		if tombstone != "" {
			p.Del(ctx, s.tombKey(tombstone))
			p.ZRem(ctx, s.tombstones(), tombstone)
		}
		return nil
	})
	return store.Err(err)
}

func (s *Service) cancelSubscription(ctx context.Context, userID string) error {
	if s.cancel == nil {
		return nil
	}
	return s.cancel(ctx, userID)
}

// isDeleted reports whether the account was closed, or has no record at all any more (a
// purge that already ran). A tombstone without a closed account is never purged.
func (s *Service) isDeleted(ctx context.Context, userID string) (bool, error) {
	v, err := s.st.R.HMGet(ctx, s.st.Key("user", userID), "email", "deleted").Result()
	if err != nil {
		return false, store.Err(err)
	}
	email, _ := v[0].(string)
	deleted, _ := v[1].(string)
	return deleted != "" || email == "", nil
}

// Sweep purges every deleted account whose purge is overdue (its job failed, or was never
// delivered). A daily QStash schedule runs it. An account whose purge fails (its revocation,
// say) does not hold up the others: the sweep goes on and reports the failures at the end;
// that account's tombstone stays, so the next sweep tries again.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	due, err := s.st.R.ZRangeByScore(ctx, s.tombstones(), &redis.ZRangeBy{Min: "-inf", Max: unix(s.now()), Count: 1000}).Result()
	if err != nil {
		return 0, store.Err(err)
	}
	n := 0
	var failed []error
	for _, token := range due {
		uid, err := s.st.R.Get(ctx, s.tombKey(token)).Result()
		if errors.Is(err, redis.Nil) {
			// Past the backstop: everything of the user has expired already.
			s.st.R.ZRem(ctx, s.tombstones(), token)
			continue
		}
		if err != nil {
			return n, store.Err(err)
		}
		if err := s.purge(ctx, uid, token); err != nil {
			if jobs.IsPermanent(err) {
				s.st.R.Del(ctx, s.tombKey(token))
				s.st.R.ZRem(ctx, s.tombstones(), token)
				continue
			}
			failed = append(failed, err)
			continue
		}
		n++
	}
	return n, errors.Join(failed...)
}

// MailWait is how long the purge holds off for the account's deletion notice while it is
// unsent: it is queued just before the close and the purge published just after, and QStash
// may deliver the purge first or the send may be retried (SMTP down). A notice older than
// this has had its retries (mail.Retries, minutes apart) and will not be sent any more; it
// goes with the rest. Other mail of a closed account (a verification link) is not waited for.
const MailWait = time.Hour

// deletionNotice is the start of the deletion notice's mail Key (lib/notice).
const deletionNotice = "notice:" + notice.DeletionRequested + ":"

// errMailPending fails a purge run that came before the deletion notice was sent: the job
// is retried by QStash, and later by the sweep, which keeps the tombstone meanwhile.
var errMailPending = errors.New("purge-account: the deletion notice is not sent yet; retrying later")

// awaitMail returns errMailPending while a deletion notice queued less than MailWait ago is
// not settled, so the purge does not delete its record before its send job runs.
func (s *Service) awaitMail(ctx context.Context, userID string) error {
	records, err := s.mail.Sent(ctx, userID)
	if err != nil {
		return fmt.Errorf("purge-account: read the mail of %s: %w", userID, err)
	}
	for _, r := range records {
		unsent := r.Status == mail.StatusQueued || r.Status == mail.StatusSending
		if unsent && strings.HasPrefix(r.Key, deletionNotice) && s.now().Sub(r.QueuedAt) < MailWait {
			return errMailPending
		}
	}
	return nil
}
