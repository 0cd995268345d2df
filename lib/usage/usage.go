// Package usage is the account's usage log and the enforcement of its plan's limits: the
// effective plan of an account (from lib/billing's subscription state, read only where a limit
// is checked — never on every request), and the monthly report counter, reserved atomically
// against the plan's reports_per_month.
//
// Months are calendar months in UTC, like every other counter in user:{id}:usage: a month
// starts at the same instant for everyone, and a user who changes time zone cannot gain or
// lose a day of reports.
package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Subscriptions reads an account's subscription state (lib/billing's Store).
type Subscriptions interface {
	Subscription(ctx context.Context, userID string) (billing.Subscription, error)
}

// Service reads plans and keeps the usage counters.
type Service struct {
	st   *store.Store
	subs Subscriptions
	now  func() time.Time
}

// New returns a Service.
func New(st *store.Store, subs Subscriptions, now func() time.Time) *Service {
	return &Service{st: st, subs: subs, now: now}
}

// Subscription is billing's state in lib/plan's terms.
func Subscription(s billing.Subscription) plan.Subscription {
	return plan.Subscription{Plan: plan.ID(s.Plan), Interval: plan.Interval(s.Interval), Status: s.Status,
		CurrentPeriodEnd: s.CurrentPeriodEnd, PastDueSince: s.PastDueSince, CancelAtPeriodEnd: s.CancelAtPeriodEnd}
}

// Plan is the account's effective plan now (plan.Effective).
func (s *Service) Plan(ctx context.Context, userID string) (plan.Plan, error) {
	sub, err := s.subs.Subscription(ctx, userID)
	if err != nil {
		return plan.Plan{}, fmt.Errorf("usage: subscription: %w", err)
	}
	return plan.Effective(Subscription(sub), s.now()), nil
}

func (s *Service) key(userID string) string { return s.st.Key("user", userID, "usage") }

// ReportsField is the usage field counting the reports requested in the month of t (UTC).
func ReportsField(t time.Time) string { return t.UTC().Format("2006-01") + ":reports_requested" }

// reserveScript adds one to field ARGV[1] of the usage hash KEYS[1] unless it has reached
// ARGV[2] already, and lists the hash in the user's index KEYS[2] (a collection key, lib/store
// index.go): the check and the count are one step, so parallel requests cannot pass the limit.
var reserveScript = redis.NewScript(`
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n >= tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[2], KEYS[1])
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
`)

// Reservation is one report counted against the month; Release gives it back.
type Reservation struct {
	s      *Service
	userID string
	field  string
}

// ReserveReport counts one report against p's reports_per_month for this month, or refuses
// with plan_limit, counting nothing.
func (s *Service) ReserveReport(ctx context.Context, userID string, p plan.Plan) (plan.Reservation, error) {
	field := ReportsField(s.now())
	n, err := reserveScript.Run(ctx, s.st.R, []string{s.key(userID), s.st.IndexKey(userID)}, field, p.Limits.ReportsPerMonth).Int()
	if err != nil {
		return nil, store.Err(fmt.Errorf("usage: reserve report: %w", err))
	}
	if n < 0 {
		return nil, plan.Exceeded(p, plan.ReportsPerMonth)
	}
	return &Reservation{s: s, userID: userID, field: field}, nil
}

// Release gives the report back (it could not be stored or queued), so a retried request is
// not refused for one that never happened. It runs even when ctx is done.
func (r *Reservation) Release(ctx context.Context) {
	err := r.s.st.R.HIncrBy(context.WithoutCancel(ctx), r.s.key(r.userID), r.field, -1).Err()
	if err != nil {
		slog.Warn("usage: could not give back a report's place in the month", "err", err)
	}
}

// ReportsThisMonth is how many reports the account requested this month.
func (s *Service) ReportsThisMonth(ctx context.Context, userID string) (int, error) {
	n, err := s.st.R.HGet(ctx, s.key(userID), ReportsField(s.now())).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, store.Err(err)
}
