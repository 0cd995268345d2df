package integration

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Row is one provider in GET /api/integrations.
type Row struct {
	Provider string           `json:"provider"`
	Name     string           `json:"name"`
	Scopes   []provider.Scope `json:"scopes"`
	// Status is connected, disconnected or needs_reauth.
	Status      string     `json:"status"`
	Account     string     `json:"account"`
	ConnectedAt *time.Time `json:"connected_at"`
	// Chooses names what the user picks for this provider (ga4_property,
	// search_console_site, github_repos, demo_site), "" when there is nothing to pick.
	Chooses string `json:"chooses"`
	// Selected is what the user picked (the first option unless they chose).
	Selected []provider.Choice `json:"selected"`
	// Configured is false for a provider this deployment has no client for: deployed, only
	// one the user connected before its client was removed; locally, every real provider.
	Configured bool `json:"configured"`
	// EnableWith names the environment variables that would configure it, only in
	// development (the local server's integrations page shows them).
	EnableWith []string `json:"enable_with,omitempty"`
	// TestMode says the provider takes test-mode installs here (Stripe with a test key):
	// connect may ask for mode "test".
	TestMode bool `json:"test_mode,omitempty"`
	// Mode is the connected install's mode, "test" or omitted for live.
	Mode string `json:"mode,omitempty"`
}

// List returns one row per provider available here, and for any other provider the user
// still has an integration with (its client was removed since), in display order. In
// development it lists the unconfigured real providers too, with what would enable them.
func (s *Service) List(ctx context.Context, userID string) ([]Row, error) {
	ids := provider.IDs()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.o.Store.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.recordKey(userID, id))
		}
		return nil
	})
	if err != nil {
		return nil, store.Err(fmt.Errorf("integration: list: %w", err))
	}
	rows := []Row{}
	for i, id := range ids {
		if row, ok := s.row(id, cmds[i].Val()); ok {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// row is provider id's row given its stored record f (empty when never connected); false
// when there is nothing to show: not available here, never connected, and either deployed or
// not a provider an environment variable enables.
func (s *Service) row(id string, f map[string]string) (Row, bool) {
	p, err := s.o.Providers.Get(id)
	enable := s.o.Providers.EnableWith(id)
	if err != nil && len(f) == 0 && enable == nil {
		return Row{}, false
	}
	if p == nil {
		p, _ = s.o.Providers.Lookup(id)
	}
	row := Row{Provider: id, Name: p.Name, Scopes: p.Scopes, Status: StatusDisconnected, Selected: []provider.Choice{},
		Configured: err == nil, EnableWith: enable, TestMode: err == nil && p.HasTestMode()}
	if p.Chooser != nil {
		row.Chooses = p.Chooser.Kind
	}
	if len(f) > 0 {
		rec := parseRecord(f)
		row.Status, row.Account, row.Mode = rec.Status, rec.Account, rec.Mode
		if !rec.ConnectedAt.IsZero() {
			row.ConnectedAt = &rec.ConnectedAt
		}
		if rec.Selection != nil {
			row.Selected = rec.Selection
		}
	}
	return row, true
}
