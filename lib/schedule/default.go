package schedule

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (*Service, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	reports, err := report.Default()
	if err != nil {
		return nil, err
	}
	return New(st, reports, time.Now), nil
})

// Default is the function instance's Service.
func Default() (*Service, error) { return instance.Get() }

// signedIn is s with the production sources and plan limits where none were set. It is
// applied by the *For methods rather than in Default, so that only the functions that edit or
// list schedules link lib/integration's listing and lib/usage: every function that only stops
// schedules (account deletion, with the least room under the size limit) leaves them out.
func (s *Service) signedIn() *Service {
	if s.sources != nil && s.limits != nil {
		return s
	}
	c := *s
	if c.sources == nil {
		c.sources = integrationSources
	}
	if c.limits == nil {
		c.limits = planLimits
	}
	return &c
}

// integrationSources reads the user's Sources from lib/integration.
func integrationSources(ctx context.Context, userID string) (Sources, error) {
	conns, err := integration.Default()
	if err != nil {
		return Sources{}, err
	}
	rows, err := conns.List(ctx, userID)
	if err != nil {
		return Sources{}, err
	}
	var src Sources
	for _, r := range rows {
		switch r.Status {
		case integration.StatusNeedsReauth:
			src.NeedsReconnect = append(src.NeedsReconnect, r.Provider)
			fallthrough
		case integration.StatusConnected:
			src.Connected = append(src.Connected, r.Provider)
		}
	}
	return src, nil
}

// owner is the signed-in user as the editor of their schedules, and their time zone.
func owner(ctx context.Context, userID string) (Owner, string, error) {
	accounts, err := account.Default()
	if err != nil {
		return Owner{}, "", err
	}
	u, err := accounts.Get(ctx, userID)
	if err != nil {
		return Owner{}, "", err
	}
	return Owner{Email: u.Email, Name: u.Name, Unverified: !u.EmailVerified}, u.TimeZone, nil
}

// CreateFor adds a schedule for a signed-in user; without a time zone in the input, the
// user's profile time zone is used, without recipients the user's own address.
func (s *Service) CreateFor(ctx context.Context, userID string, in Input) (*Schedule, error) {
	o, zone, err := owner(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.signedIn().CreateAs(ctx, userID, o, zone, in)
}

// UpdateFor edits a schedule of a signed-in user (Update).
func (s *Service) UpdateFor(ctx context.Context, userID, id string, p Patch) (*Schedule, error) {
	o, _, err := owner(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.signedIn().Update(ctx, userID, o, id, p)
}

// ListFor lists a signed-in user's schedules with their status (ListWithStatus).
func (s *Service) ListFor(ctx context.Context, userID string) ([]WithStatus, error) {
	o, _, err := owner(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.signedIn().ListWithStatus(ctx, userID, o)
}
