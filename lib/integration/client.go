package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
)

// reportTimeout bounds a whole exchange made with a Client (body included); report
// fetchers bound their work with the context too.
const reportTimeout = 60 * time.Second

// Client returns an HTTP client that calls providerID's API as userID, refreshing and
// persisting tokens as needed, and what the user chose to report on.
//
// Errors: ErrNotConnected when there is no integration; an error wrapping metrics.ErrReauth
// when the user must reconnect (status needs_reauth, a refresh refused, or stored tokens
// that cannot be opened: a removed key or a damaged ciphertext, which also marks the
// integration needs_reauth); the configuration problems of an unknown or unconfigured
// provider. Refresh failures after Client returns surface from the client's requests,
// classified the same way (metrics.ErrReauth, metrics.ErrTransient).
//
// The client only sends the token to the provider's own API hosts.
func (s *Service) Client(ctx context.Context, userID, providerID string) (*http.Client, metrics.Selection, error) {
	p, err := s.configured(providerID)
	if err != nil {
		return nil, metrics.Selection{}, err
	}
	rec, tok, err := s.current(ctx, userID, p)
	if err != nil {
		return nil, metrics.Selection{}, err
	}
	src := &tokenSource{s: s, ctx: ctx, userID: userID, p: p, tok: tok, issued: rec.IssuedAt}
	hc := s.authorized(p, src)
	sel := rec.Selection
	if len(sel) == 0 && p.Chooser != nil {
		sel = s.defaultSelection(ctx, userID, p, rec.Gen, hc)
	}
	return hc, withAccount(selectionFor(p.ID, sel), p.ID, rec), nil
}

// withAccount names, for Stripe, where nothing is chosen, the account the app is installed
// in, so that the report's section says whose figures it shows.
func withAccount(sel metrics.Selection, providerID string, rec *record) metrics.Selection {
	if providerID == provider.Stripe && rec.AccountID != "" {
		sel.Account = &metrics.Source{ID: rec.AccountID, Name: rec.Account}
	}
	return sel
}

// authorized is a client carrying src's token to p's API hosts, and to nothing else.
func (s *Service) authorized(p *provider.Provider, src oauth2.TokenSource) *http.Client {
	return &http.Client{
		Timeout:   reportTimeout,
		Transport: hostGuard{p: p, next: &oauth2.Transport{Source: src, Base: s.o.Transport}},
		// A redirect must not carry the token elsewhere either; hostGuard sees every hop.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// hostGuard refuses any request to a host outside the provider's API: a Link header or a
// redirect pointing elsewhere must not receive the user's token.
type hostGuard struct {
	p    *provider.Provider
	next http.RoundTripper
}

func (g hostGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if !g.p.AllowsHost(strings.ToLower(r.URL.Host)) {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("integration: refusing to send the %s token to %s", g.p.ID, r.URL.Host)
	}
	return g.next.RoundTrip(r)
}

// selectionFor turns a stored choice into what the report fetchers read. Stripe has no
// choice: a Stripe App's token is the installing account's own, so no Stripe-Account header
// is needed. The demo's sites do not change its data.
func selectionFor(providerID string, chosen []provider.Choice) metrics.Selection {
	var sel metrics.Selection
	if len(chosen) == 0 {
		return sel
	}
	sel.Labels = map[string]string{}
	for _, c := range chosen {
		sel.Labels[c.ID] = c.Label
		switch providerID {
		case provider.GoogleAnalytics:
			sel.GA4Properties = append(sel.GA4Properties, c.ID)
		case provider.SearchConsole:
			sel.SearchConsoleSites = append(sel.SearchConsoleSites, c.ID)
		case provider.GitHub:
			sel.GitHubRepos = append(sel.GitHubRepos, c.ID)
		}
	}
	// The first is also the one a single fetch reads (Selection.Split gives each its own).
	switch providerID {
	case provider.GoogleAnalytics:
		sel.GA4Property = chosen[0].ID
	case provider.SearchConsole:
		sel.SearchConsoleSite = chosen[0].ID
	}
	return sel
}

// defaultSelection chooses the first option for a user who has not chosen (the provider
// did not answer at connect time), and stores it. Best effort: no choice is no choice.
func (s *Service) defaultSelection(ctx context.Context, userID string, p *provider.Provider, gen string, hc *http.Client) []provider.Choice {
	choices, err := p.Choices(ctx, hc)
	if err != nil || len(choices) == 0 {
		if err != nil {
			slog.Warn("integration: list choices for a default", "provider", p.ID, "err", err)
		}
		return nil
	}
	sel := choices[:1]
	b, _ := json.Marshal(sel)
	if err := s.update(ctx, userID, p.ID, gen, map[string]any{fSelection: string(b)}); err != nil {
		slog.Warn("integration: store default choice", "provider", p.ID, "err", err)
	}
	return sel
}

// Connected lists the providers userID has an integration with, needs_reauth included (a
// report shows those as "reconnect"), in display order.
func (s *Service) Connected(ctx context.Context, userID string) ([]string, error) {
	ids := provider.IDs()
	cmds := make([]*redis.IntCmd, len(ids))
	_, err := s.o.Store.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Exists(ctx, s.recordKey(userID, id))
		}
		return nil
	})
	if err != nil {
		return nil, store.Err(fmt.Errorf("integration: connected: %w", err))
	}
	var out []string
	for i, id := range ids {
		if cmds[i].Val() > 0 {
			out = append(out, id)
		}
	}
	return out, nil
}
