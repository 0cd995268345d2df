package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
// integ:{user}:{provider} records that exist, schedules the fields of user:{id}:schedules,
// recipients the most addresses besides the owner's on one of them, share links the live
// members of lib/share's user:{id}:share-links (one more round trip when there are any).
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
	var schedules, links *redis.StringSliceCmd
	var reports *redis.StringCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			integ[i] = p.Exists(ctx, s.st.Key("integ", userID, id))
		}
		schedules = p.HVals(ctx, s.st.Key("user", userID, "schedules"))
		links = p.SMembers(ctx, s.st.Key("user", userID, "share-links"))
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
	shared, err := s.liveLinks(ctx, links.Val())
	return map[string]int{string(plan.Integrations): n, string(plan.Schedules): len(schedules.Val()),
		string(plan.RecipientsPerSchedule): mostRecipients(schedules.Val()), string(plan.ShareLinks): shared,
		string(plan.ReportsPerMonth): month}, err
}

// mostRecipients is the most addresses besides the owner's (marked in recipients_added) on
// one schedule: what recipients_per_schedule limits.
func mostRecipients(schedules []string) int {
	most := 0
	for _, raw := range schedules {
		var sc struct {
			Recipients []string                        `json:"recipients"`
			Added      map[string]struct{ Owner bool } `json:"recipients_added"`
		}
		if json.Unmarshal([]byte(raw), &sc) != nil {
			continue
		}
		others := 0
		for _, a := range sc.Recipients {
			if !sc.Added[a].Owner {
				others++
			}
		}
		most = max(most, others)
	}
	return most
}

// liveLinks counts the share links in members ("{report}:{link}") that still exist and
// have not expired, as lib/share's limit counts them.
func (s *Service) liveLinks(ctx context.Context, members []string) (int, error) {
	if len(members) == 0 {
		return 0, nil
	}
	cmds := make([]*redis.StringCmd, len(members))
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			rid, id, _ := strings.Cut(m, ":")
			cmds[i] = p.HGet(ctx, s.st.Key("report", rid, "shares"), id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, store.Err(fmt.Errorf("usage: share links: %w", err))
	}
	n := 0
	for _, c := range cmds {
		var rec struct {
			ExpiresAt *time.Time `json:"expires_at"`
		}
		if c.Err() == nil && json.Unmarshal([]byte(c.Val()), &rec) == nil && (rec.ExpiresAt == nil || s.now().Before(*rec.ExpiresAt)) {
			n++
		}
	}
	return n, nil
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
