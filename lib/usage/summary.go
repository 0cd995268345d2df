package usage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Invoice is a row of GET /api/billing's invoices.
type Invoice struct {
	Number      string    `json:"number"`
	IssuedAt    time.Time `json:"issued_at"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Kind        string    `json:"kind"` // invoice or credit_note
}

// Summary is GET /api/billing: the plan in force, its limits, this month's usage against
// them, and the invoices kept for the account.
type Summary struct {
	Plan              plan.ID        `json:"plan"`
	Name              string         `json:"plan_name"`
	Interval          plan.Interval  `json:"interval,omitempty"`
	Status            string         `json:"status"`
	Subscribed        plan.ID        `json:"subscribed_plan"` // what is paid for, even past the grace period
	GraceEndsAt       *time.Time     `json:"grace_ends_at,omitempty"`
	CurrentPeriodEnd  *time.Time     `json:"current_period_end,omitempty"`
	CancelAtPeriodEnd bool           `json:"cancel_at_period_end"`
	Limits            plan.Limits    `json:"limits"`
	Usage             map[string]int `json:"usage"`
	Plans             []plan.Plan    `json:"plans"`
	Invoices          []Invoice      `json:"invoices"`
}

// Records lists the account's billing records (lib/billing's Store).
type Records interface {
	ForUser(ctx context.Context, userID string) ([]billing.Record, error)
}

// Summarize builds the account's Summary. The counts are read in one pipeline from the keys
// their packages own (docs/architecture.md's Redis layout) rather than through those packages,
// so the billing functions do not link the report and integration code: integrations are the
// integ:{user}:{provider} records that exist, schedules the fields of user:{id}:schedules.
func (s *Service) Summarize(ctx context.Context, userID string, records Records) (*Summary, error) {
	sub, err := s.subs.Subscription(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("usage: subscription: %w", err)
	}
	usage, err := s.counts(ctx, userID)
	if err != nil {
		return nil, err
	}
	recs, err := records.ForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	return summary(Subscription(sub), s.now(), usage, recs), nil
}

// counts reads every usage count of the account in one round trip.
func (s *Service) counts(ctx context.Context, userID string) (map[string]int, error) {
	ids := provider.IDs()
	integ := make([]*redis.IntCmd, len(ids))
	var schedules *redis.IntCmd
	var reports *redis.StringCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			integ[i] = p.Exists(ctx, s.st.Key("integ", userID, id))
		}
		schedules = p.HLen(ctx, s.st.Key("user", userID, "schedules"))
		reports = p.HGet(ctx, s.key(userID), ReportsField(s.now()))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, store.Err(fmt.Errorf("usage: counts: %w", err))
	}
	n := 0
	for _, c := range integ {
		n += int(c.Val())
	}
	month, _ := reports.Int()
	return map[string]int{string(plan.Integrations): n, string(plan.Schedules): int(schedules.Val()),
		string(plan.ReportsPerMonth): month}, nil
}

func summary(sub plan.Subscription, now time.Time, usage map[string]int, recs []billing.Record) *Summary {
	p := plan.Effective(sub, now)
	out := &Summary{Plan: p.ID, Name: p.Name, Interval: sub.Interval, Status: sub.Status, Subscribed: sub.Plan,
		CancelAtPeriodEnd: sub.CancelAtPeriodEnd, Limits: p.Limits, Usage: usage, Plans: plan.All(), Invoices: []Invoice{}}
	if p.ID == plan.Free {
		out.Interval = ""
	}
	if t := plan.GraceEnds(sub); !t.IsZero() {
		out.GraceEndsAt = &t
	}
	if !sub.CurrentPeriodEnd.IsZero() {
		out.CurrentPeriodEnd = &sub.CurrentPeriodEnd
	}
	for i := len(recs) - 1; i >= 0; i-- { // newest first
		r := recs[i]
		out.Invoices = append(out.Invoices, Invoice{Number: r.Number, IssuedAt: r.IssuedAt, AmountMinor: r.AmountMinor, Currency: r.Currency, Kind: r.Kind})
	}
	return out
}
