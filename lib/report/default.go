package report

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/deps"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
)

var instance = lazy.New(func() (*Service, error) {
	c, err := deps.Load()
	if err != nil {
		return nil, err
	}
	return New(c.Store, c.Conns, metrics.Fetchers(c.Config.AppURL), c.Pub, time.Now), nil
})

// Default is the function instance's Service: the store, the user's integrations, the
// provider fetchers (the sandbox's metrics API lives at APP_URL) and the QStash publisher.
func Default() (*Service, error) { return instance.Get() }

// RequestLimit bounds on-demand reports per user: each one calls every connected provider's
// API. It is a quota of accepted requests (Request), not of attempts. Exported for
// lib/deletion, which purges a deleted user's counter.
var RequestLimit = ratelimit.Limit{Name: "reports-user", Max: 30, Window: time.Hour}

// RequestFor asks for a report for a signed-in user, in the user's time zone, within the
// per-user quota on report requests and the account's plan, enforced through limits
// (lib/usage's Default; see Limits for why it is passed in).
func (s *Service) RequestFor(ctx context.Context, userID string, spec period.Spec, compare period.Compare, limits Limits) (*Report, error) {
	loc, err := userLocation(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.request(ctx, Request{UserID: userID, Spec: spec, Location: loc, Compare: compare}, limits)
}

// userLocation is the user's profile time zone (UTC when unset).
func userLocation(ctx context.Context, userID string) (*time.Location, error) {
	accounts, err := account.Default()
	if err != nil {
		return nil, err
	}
	u, err := accounts.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}
