package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// Choices is the answer of GET and PUT /api/integrations/choices: what the user can pick
// for one provider, read from the provider now, and what is picked.
type Choices struct {
	Provider string `json:"provider"`
	// Kind names what is picked: ga4_property, search_console_site, github_repos, demo_site.
	Kind string `json:"kind"`
	// Max is how many may be picked at once (1, or up to 10 GitHub repositories).
	Max      int               `json:"max"`
	Choices  []provider.Choice `json:"choices"`
	Selected []provider.Choice `json:"selected"`
}

// SelectInput is the body of PUT /api/integrations/choices.
type SelectInput struct {
	Provider string   `json:"provider"`
	Selected []string `json:"selected"`
}

// Choices lists what userID can pick for providerID, with the current pick.
func (s *Service) Choices(ctx context.Context, userID, providerID string) (*Choices, error) {
	p, rec, options, err := s.options(ctx, userID, providerID)
	if err != nil {
		return nil, err
	}
	selected := rec.Selection
	if selected == nil {
		selected = []provider.Choice{}
	}
	return &Choices{Provider: p.ID, Kind: p.Chooser.Kind, Max: p.Chooser.Max, Choices: options, Selected: selected}, nil
}

// Select stores userID's pick for a provider. Every id must be among the options the
// provider lists now (so nothing the user cannot read can be chosen), at least one and at
// most Max, without repeats.
func (s *Service) Select(ctx context.Context, userID string, in SelectInput) (*Choices, error) {
	p, rec, options, err := s.options(ctx, userID, in.Provider)
	if err != nil {
		return nil, err
	}
	if len(in.Selected) == 0 || len(in.Selected) > p.Chooser.Max {
		return nil, problem.Unprocessable("invalid_selection", "selected", fmt.Sprintf("Choose between 1 and %d.", p.Chooser.Max))
	}
	var chosen []provider.Choice
	for i, id := range in.Selected {
		at := slices.IndexFunc(options, func(c provider.Choice) bool { return c.ID == id })
		if at < 0 || slices.Contains(in.Selected[:i], id) {
			return nil, problem.Unprocessable("invalid_selection", "selected", fmt.Sprintf("%q is not one of the choices, or is listed twice.", id))
		}
		chosen = append(chosen, options[at])
	}
	b, _ := json.Marshal(chosen)
	if err := s.update(ctx, userID, p.ID, rec.Gen, map[string]any{fSelection: string(b)}); err != nil {
		return nil, choiceError(p, err)
	}
	return &Choices{Provider: p.ID, Kind: p.Chooser.Kind, Max: p.Chooser.Max, Choices: options, Selected: chosen}, nil
}

// options loads the integration and lists the provider's options as the user.
func (s *Service) options(ctx context.Context, userID, providerID string) (*provider.Provider, *record, []provider.Choice, error) {
	p, err := s.configured(providerID)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.Chooser == nil {
		return nil, nil, nil, problem.NotFound(p.Name + " has nothing to choose: reports cover the whole connected account.")
	}
	rec, tok, err := s.current(ctx, userID, p)
	if err != nil {
		return nil, nil, nil, choiceError(p, err)
	}
	hc := s.authorized(p, &tokenSource{s: s, ctx: ctx, userID: userID, p: p, tok: tok, issued: rec.IssuedAt})
	options, err := p.Choices(ctx, hc)
	if err != nil {
		return nil, nil, nil, choiceError(p, err)
	}
	if options == nil {
		options = []provider.Choice{}
	}
	return p, rec, options, nil
}

// choiceError says in API terms why the options could not be read.
func choiceError(p *provider.Provider, err error) error {
	if _, ok := problem.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, ErrNotConnected):
		return problem.Conflict("not_connected", p.Name+" is not connected.")
	case errors.Is(err, metrics.ErrReauth):
		return &problem.Error{Status: http.StatusConflict, Code: "needs_reauth", Message: "Reconnect " + p.Name + ": access was revoked or has expired.", Cause: err}
	case errors.Is(err, provider.ErrRejected):
		return &problem.Error{Status: http.StatusBadGateway, Code: "provider_error", Message: p.Name + " refused to list the choices.", Cause: err}
	}
	return problem.Unavailable(err)
}
