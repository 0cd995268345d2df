package provider

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trymetriqs/metriqs/lib/config"
)

// order is how providers are listed to users.
var order = []string{GoogleAnalytics, SearchConsole, Stripe, GitHub, Demo}

// Registry holds every provider this deployment knows, configured from its environment.
type Registry struct {
	byID map[string]*Provider
	demo bool
	// dev lists unconfigured providers too (the local server), with what enables them.
	dev bool
}

// Option adjusts a Registry in-process. There is deliberately no environment variable that
// moves an endpoint: a production deployment always talks to the real providers, and only
// code (tests) can point one elsewhere.
type Option func(*Registry)

// WithEndpoints points provider id at e (a local fake in tests). The token is then only sent
// to e.API's host.
func WithEndpoints(id string, e Endpoints) Option {
	return func(r *Registry) {
		if p := r.byID[id]; p != nil {
			if len(e.Hosts) == 0 {
				e.Hosts = []string{hostOf(e.API)}
			}
			p.Endpoints = e
		}
	}
}

// WithCredentials sets the OAuth client of provider id (tests configure providers the
// environment does not).
func WithCredentials(id string, c config.Credentials) Option {
	return func(r *Registry) {
		if p := r.byID[id]; p != nil {
			p.Credentials = c
		}
	}
}

// New builds the registry for cfg: real providers are configured when their client id and
// secret are in the environment; the sandbox when cfg.DemoProvider is on, served by this
// deployment at cfg.AppURL.
func New(cfg *config.Config, opts ...Option) *Registry {
	r := &Registry{byID: map[string]*Provider{
		GoogleAnalytics: newGoogleAnalytics(),
		SearchConsole:   newSearchConsole(),
		Stripe:          newStripe(),
		GitHub:          newGitHub(),
		Demo:            newDemo(cfg.AppURL),
	}, demo: cfg.DemoProvider, dev: cfg.Dev}
	for id, p := range r.byID {
		p.Scopes = ScopeTable[id]
		p.Credentials = cfg.Providers[id]
	}
	if cfg.DemoProvider {
		r.byID[Demo].Credentials = DemoCredentials(cfg.TokenKeys)
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Get returns the provider with id, configured. The error wraps ErrUnknown or
// ErrNotConfigured; the demo provider is unknown where the sandbox is off.
func (r *Registry) Get(id string) (*Provider, error) {
	p, ok := r.byID[id]
	if !ok || (id == Demo && !r.demo) {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, id)
	}
	if !p.Configured() {
		return p, fmt.Errorf("%w: %s has no OAuth client id in this deployment", ErrNotConfigured, p.Name)
	}
	return p, nil
}

// Lookup returns the provider with id whether or not it is configured, for cleaning up
// what a user connected before its client was removed.
func (r *Registry) Lookup(id string) (*Provider, bool) {
	p, ok := r.byID[id]
	return p, ok
}

// Available lists the configured providers, in display order.
func (r *Registry) Available() []*Provider {
	var out []*Provider
	for _, id := range order {
		if p, err := r.Get(id); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// EnableWith names the environment variables that would configure provider id, only in
// development (where showing what is missing helps a developer) and only for a real provider
// that is not configured; nil otherwise, so a deployment never tells what it lacks.
func (r *Registry) EnableWith(id string) []string {
	p, ok := r.byID[id]
	if !r.dev || !ok || p.Configured() {
		return nil
	}
	return config.ProviderEnv(id)
}

// IDs lists every provider id, configured or not, in display order.
func IDs() []string { return append([]string(nil), order...) }

// Siblings are the other providers sharing p's grant (the other Google one).
func (r *Registry) Siblings(p *Provider) []*Provider {
	var out []*Provider
	for _, id := range order {
		q := r.byID[id]
		if p.SharedGrant != "" && q.ID != p.ID && q.SharedGrant == p.SharedGrant {
			out = append(out, q)
		}
	}
	return out
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
