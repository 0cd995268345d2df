package share

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/usage"
)

// Plans reads an account's effective plan (lib/usage's Service).
type Plans interface {
	Plan(ctx context.Context, userID string) (plan.Plan, error)
}

// SetPlans replaces where the plan is read (tests; nil means lib/usage over the
// subscription state in the service's store).
func (s *Service) SetPlans(p Plans) { s.plans = p }

func (s *Service) plansOrDefault() Plans {
	if s.plans != nil {
		return s.plans
	}
	return usage.New(s.st, billing.New(s.st, s.now), s.now)
}

// MadeKey is the set of the links the user made themselves ("{report}:{link}"), which the
// plan's share_links limit counts. Links Metriqs makes for a schedule's guest recipients
// (Options.Automatic) are not in it.
func MadeKey(st *store.Store, userID string) string { return report.SharesMadeKey(st, userID) }

func member(reportID, id string) string { return reportID + ":" + id }

// planOf is the plan a link the user makes is judged against, read before the WATCH (a read
// inside it would need a second connection while the WATCH holds one); nil for an automatic
// link, which is not counted.
func (s *Service) planOf(ctx context.Context, userID string, opts Options) (*plan.Plan, error) {
	if opts.Automatic {
		return nil, nil
	}
	p, err := s.plansOrDefault().Plan(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("share: plan: %w", err)
	}
	return &p, nil
}

// roomOnPlan refuses a link over the plan's share_links (402 plan_limit). It counts, inside
// tx, the members of MadeKey whose link still exists and has not expired: a revoked link
// leaves the set, one deleted with its report or expired stops counting.
func (s *Service) roomOnPlan(ctx context.Context, tx *redis.Tx, userID string, p *plan.Plan) error {
	if p == nil {
		return nil
	}
	n, err := s.made(ctx, tx, userID)
	if err != nil {
		return err
	}
	if n >= p.Limits.ShareLinks {
		return plan.Exceeded(*p, plan.ShareLinks)
	}
	return nil
}

// made counts the user's live links in MadeKey (one SMEMBERS and one pipeline of HGETs).
func (s *Service) made(ctx context.Context, tx *redis.Tx, userID string) (int, error) {
	members, err := tx.SMembers(ctx, MadeKey(s.st, userID)).Result()
	if err != nil {
		return 0, err
	}
	cmds := make([]*redis.StringCmd, len(members))
	_, err = tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			rid, id, _ := strings.Cut(m, ":")
			links, _ := report.ShareKeys(s.st, rid)
			cmds[i] = p.HGet(ctx, links, id)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return 0, err
	}
	return s.live(cmds), nil
}

func (s *Service) live(cmds []*redis.StringCmd) int {
	n, now := 0, s.now()
	for _, c := range cmds {
		if rec, err := decodeRecord(c.Val()); c.Err() == nil && err == nil && !rec.expired(now) {
			n++
		}
	}
	return n
}
