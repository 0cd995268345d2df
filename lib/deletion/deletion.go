// Package deletion keeps the data-retention promises: when an account is deleted, its
// integration tokens are revoked and deleted at once, its sessions end at once, and everything
// else that is personal — profile, 2FA secrets, reports, schedules, usage, the security log,
// rate-limit counters — is purged by a QStash job, with a 30-day expiry on every remaining key
// as a backstop in case the job never runs. A revocation that fails at deletion is retried by
// the purge, which keeps the tokens until it succeeds (or the backstop expires them). Billing
// records are not personal data here and stay (lib/billing).
package deletion

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Retention promises (security page: "permanently removed within 30 days").
const (
	// Backstop is the longest any key of a deleted account may live.
	Backstop = 30 * 24 * time.Hour
	// PurgeGrace is how long the purge job has before the daily sweep does its work instead.
	PurgeGrace = time.Hour
)

// Jobs of this package.
const (
	JobPurge = "purge-account"
	JobSweep = "sweep-deleted"
)

// Disconnector revokes and deletes every integration of a user (lib/integration).
type Disconnector interface {
	DisconnectAll(ctx context.Context, userID string, c web.Client) error
}

// Scheduler removes every schedule of a user (lib/schedule).
type Scheduler interface {
	DeleteAll(ctx context.Context, userID string) error
}

// Publisher sends job messages (lib/jobs).
type Publisher interface {
	Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error)
}

// Service deletes accounts.
type Service struct {
	st           *store.Store
	accounts     *account.Service
	integrations Disconnector
	schedules    Scheduler
	pub          Publisher
	now          func() time.Time
	// mail reads the account's mail records: the purge waits for queued ones (purge.go).
	mail *mail.Service
	// cancel ends the account's subscription at Stripe (nil: billing is off, or this
	// instance never purges).
	cancel func(ctx context.Context, userID string) error
}

// WithStripe returns s cancelling subscriptions at Stripe through c when an account is
// purged (lib/billing/stripeapi).
func (s *Service) WithStripe(c billing.Canceler) *Service {
	cp := *s
	b := billing.New(s.st, s.now)
	cp.cancel = func(ctx context.Context, userID string) error { return b.CancelAtStripe(ctx, userID, c) }
	return &cp
}

// New returns a Service.
func New(st *store.Store, accounts *account.Service, integrations Disconnector, schedules Scheduler, pub Publisher, now func() time.Time) *Service {
	return &Service{st: st, accounts: accounts, integrations: integrations, schedules: schedules, pub: pub, now: now,
		mail: mail.New(st, nil, now)}
}

// tombstones lists deleted accounts by the time their purge is due, for the sweep. Its
// members are random tokens, not user ids: a global set cannot expire member by member, so
// it must hold nothing personal. Each token names a key `tomb:{token}` → user id, which
// expires with the backstop like everything else of the user.
func (s *Service) tombstones() string          { return s.st.Key("accounts", "deleted") }
func (s *Service) tombKey(token string) string { return s.st.Key("tomb", token) }

type purgeBody struct {
	UserID    string `json:"user_id"`
	Tombstone string `json:"tombstone,omitempty"`
}

// Delete closes the signed-in user's account and answers by when everything will be gone.
// Steps, in order: close (checks password and 2FA, marks deleted, records the tombstone in the
// same transaction, frees the e-mail, ends every session) → stop schedules → revoke and
// delete integration tokens → put the backstop expiry on every remaining key → publish the
// purge. After the close, a failing step is logged, not returned: the account is already gone
// for the user, and the purge (which retries the revocation), the sweep and the backstop
// finish the work.
func (s *Service) Delete(ctx context.Context, w http.ResponseWriter, sess *session.Session, in account.DeleteInput, c web.Client) (time.Time, error) {
	now := s.now()
	purgeBy := now.Add(Backstop).UTC().Truncate(time.Second)
	token := ids.New()
	u, err := s.accounts.Close(ctx, w, sess, in, c, account.Closing{PurgeBy: purgeBy, ID: token, Also: func(p redis.Pipeliner) {
		p.Set(ctx, s.tombKey(token), sess.UserID, Backstop)
		p.ZAdd(ctx, s.tombstones(), redis.Z{Score: float64(now.Add(PurgeGrace).Unix()), Member: token})
	}})
	if err != nil {
		return time.Time{}, err
	}
	ctx = context.WithoutCancel(ctx) // the account is closed: finish even if the client leaves
	steps := []struct {
		name string
		run  func() error
	}{
		{"schedules", func() error { return s.schedules.DeleteAll(ctx, u.ID) }},
		{"integrations", func() error { return s.integrations.DisconnectAll(ctx, u.ID, c) }},
		{"backstop", func() error { return s.backstop(ctx, u.ID) }},
		{"publish purge", func() error {
			_, err := s.pub.Publish(ctx, JobPurge, purgeBody{UserID: u.ID, Tombstone: token}, jobs.DeduplicationID("purge-"+u.ID))
			return err
		}},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			slog.Error("account deletion step failed; the purge, the sweep and the backstop will finish it", "step", step.name, "err", err)
		}
	}
	return purgeBy, nil
}

// backstop gives every key of the user an expiry of at most Backstop, so the promise holds
// even if no purge ever runs. Keys that already expire sooner keep their expiry.
func (s *Service) backstop(ctx context.Context, userID string) error {
	keys, err := s.keysOf(ctx, userID)
	if err != nil {
		return err
	}
	ttls := make([]*redis.DurationCmd, len(keys))
	_, err = s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			ttls[i] = p.TTL(ctx, k)
		}
		return nil
	})
	if err != nil {
		return store.Err(err)
	}
	_, err = s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			if d := ttls[i].Val(); d == -1 || d > Backstop {
				p.Expire(ctx, k, Backstop)
			}
		}
		return nil
	})
	return store.Err(err)
}

// keysOf lists every key that belongs to the user: the user's index, the index itself, the
// live one-time tokens (short-lived, so outside the index), and
// the rate-limit counters kept under the user's id and e-mail address. Counter keys hold only
// a hash of their subject, so neither the index nor Verify's text search would find them:
// every per-user limit must be listed here.
func (s *Service) keysOf(ctx context.Context, userID string) ([]string, error) {
	keys, err := s.st.R.SMembers(ctx, s.st.IndexKey(userID)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	keys = append(keys, s.st.IndexKey(userID))
	keys = append(keys, escapedBefore(s.st, userID)...)
	tokens, err := onetime.New(s.st).KeysOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	keys = append(keys, tokens...)
	keys = append(keys, s.accounts.UserLimitKeys(userID)...)
	limits := ratelimit.New(s.st)
	keys = append(keys, limits.Key(report.RequestLimit, userID), limits.Key(integration.ConnectLimit, userID))
	if email, err := s.accounts.Email(ctx, userID); err == nil && email != "" {
		keys = append(keys, s.accounts.LoginLimitKey(email))
	}
	return keys, nil
}

// escapedBefore names the keys that could end up outside the index before its invariant held
// by construction (docs/security.md, "The user's key index"): the report list (dropped from
// the index while a new report recreated it) and the billing link (indexed in a second step).
// Accounts made before the fix may still have them unindexed, so deletion finds them by name.
func escapedBefore(st *store.Store, userID string) []string {
	return []string{st.Key("user", userID, "reports"), st.Key("user", userID, "billing")}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
