package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/usage"
)

// Plans reads an account's effective plan (lib/usage's Service).
type Plans interface {
	Plan(ctx context.Context, userID string) (plan.Plan, error)
}

// plans is Options.Plans, or lib/usage over lib/billing's subscription state in the
// service's own store, read only where the limit is checked.
func (s *Service) plans() Plans {
	if s.o.Plans != nil {
		return s.o.Plans
	}
	return usage.New(s.o.Store, billing.New(s.o.Store, s.o.Now), s.o.Now)
}

// roomFor refuses to start connecting providerID when the account already has as many
// integrations as its plan allows (402 plan_limit), before the user goes through the
// provider's consent for nothing. The callback checks again, atomically with its write.
func (s *Service) roomFor(ctx context.Context, userID, providerID string) error {
	p, err := s.planOf(ctx, userID)
	if err != nil {
		return err
	}
	have, err := s.Connected(ctx, userID)
	if err != nil {
		return err
	}
	return judge(p, providerID, have)
}

// planOf reads the plan; save reads it before its WATCH, which holds a connection a read
// inside it would have to wait for.
func (s *Service) planOf(ctx context.Context, userID string) (plan.Plan, error) {
	p, err := s.plans().Plan(ctx, userID)
	if err != nil {
		return p, fmt.Errorf("integration: plan: %w", err)
	}
	return p, nil
}

// judge allows a reconnect of one of the providers in have always: a downgrade keeps every
// integration, and one that needs reconnecting must stay fixable. A new one needs a place.
func judge(p plan.Plan, providerID string, have []string) error {
	if slices.Contains(have, providerID) || len(have) < p.Limits.Integrations {
		return nil
	}
	return plan.Exceeded(p, plan.Integrations)
}

// recordKeys are the user's integration records, one per provider: save WATCHes them all,
// so two callbacks for different providers cannot both take the last place.
func (s *Service) recordKeys(userID string) []string {
	var keys []string
	for _, id := range provider.IDs() {
		keys = append(keys, s.recordKey(userID, id))
	}
	return keys
}

// connectedIn lists the providers the user has a record for, read inside tx.
func (s *Service) connectedIn(ctx context.Context, tx *redis.Tx, userID string) ([]string, error) {
	ids := provider.IDs()
	cmds := make([]*redis.IntCmd, len(ids))
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Exists(ctx, s.recordKey(userID, id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var have []string
	for i, id := range ids {
		if cmds[i].Val() > 0 {
			have = append(have, id)
		}
	}
	return have, nil
}

// watch runs fn in a WATCH on keys, again when a concurrent write moved them.
func (s *Service) watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	for range 10 {
		err := s.o.Store.R.Watch(ctx, fn, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return problem.Unavailable(errors.New("integration: too much contention"))
}
