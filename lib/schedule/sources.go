package schedule

import "context"

// Problems a schedule's runs would have, as GET /api/schedules shows them (Status.Problem).
const (
	// NoSources: every integration was disconnected; a run would have nothing to report.
	NoSources = "no_sources"
	// NeedsReconnect: some source needs reconnecting; runs send without it, or hold
	// (OnNeedsReconnect).
	NeedsReconnect = "needs_reconnect"
)

// Sources says which of the user's integrations are connected and which of those need
// reconnecting (their provider ids).
type Sources struct {
	Connected, NeedsReconnect []string
}

// SourcesFunc reads the user's Sources (lib/integration in production).
type SourcesFunc func(ctx context.Context, userID string) (Sources, error)

// SetSources sets how the service reads the user's integrations (ListWithStatus).
func (s *Service) SetSources(f SourcesFunc) { s.sources = f }

// WithStatus is a schedule as GET /api/schedules lists it: with what its runs would lack.
type WithStatus struct {
	Schedule
	// SourcesConnected is false when every integration of the account was disconnected.
	SourcesConnected bool `json:"sources_connected"`
	// Problem is NoSources, NeedsReconnect or "" (nothing in the way).
	Problem string `json:"problem,omitempty"`
	// NeedsReconnect names the providers to reconnect.
	NeedsReconnect []string `json:"needs_reconnect,omitempty"`
	// PausedByPlan: an active schedule beyond the plan's schedules (after a downgrade), whose
	// ticked runs do nothing (OverPlan) until the plan is raised or others are paused.
	PausedByPlan bool `json:"paused_by_plan"`
}

// ListWithStatus is List with each schedule's status and its recipients resolved for owner.
// Every schedule reports on all of the account's integrations, so they share one status.
func (s *Service) ListWithStatus(ctx context.Context, userID string, owner Owner) ([]WithStatus, error) {
	list, err := s.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	lim, err := s.limitsFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	over := overPlan(list, lim)
	var src Sources
	if s.sources != nil {
		if src, err = s.sources(ctx, userID); err != nil {
			return nil, err
		}
	}
	out := make([]WithStatus, len(list))
	for i, sc := range list {
		sc.resolveOwner(owner)
		out[i] = WithStatus{Schedule: sc, SourcesConnected: len(src.Connected) > 0, NeedsReconnect: src.NeedsReconnect}
		out[i].Problem, out[i].PausedByPlan = src.problem(), over[i]
	}
	return out, nil
}

func (src Sources) problem() string {
	switch {
	case len(src.Connected) == 0:
		return NoSources
	case len(src.NeedsReconnect) > 0:
		return NeedsReconnect
	}
	return ""
}
