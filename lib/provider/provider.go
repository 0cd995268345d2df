// Package provider describes each OAuth provider Metriqs connects to: where its endpoints are,
// what it is asked for (the scope table in scopes.go), how the client authenticates, whether
// PKCE is used, how a grant is revoked, and how the things a report can be about (a GA4
// property, a Search Console site, GitHub repositories) are listed. It holds no state and
// never stores a token: lib/integration does that, sealed.
package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/config"
)

// Provider ids, as in API.md.
const (
	GoogleAnalytics = "google-analytics"
	SearchConsole   = "search-console"
	Stripe          = "stripe"
	GitHub          = "github"
	Demo            = "demo"
)

// ClientAuth is how the client authenticates at the token and revocation endpoints.
type ClientAuth int

const (
	// SecretPost sends client_id and client_secret in the form body (RFC 6749 §2.3.1).
	SecretPost ClientAuth = iota + 1
	// SecretBasic sends them as HTTP Basic credentials (RFC 6749 §2.3.1).
	SecretBasic
	// SecretKeyBasic sends the platform's secret API key as the Basic user name with an empty
	// password, and no client id: Stripe's token endpoint authenticates the app that way.
	SecretKeyBasic
)

// Endpoints are where a provider is reached.
type Endpoints struct {
	Auth   string // authorization endpoint, opened in the user's browser
	Token  string // token endpoint (code exchange and refresh)
	Revoke string // revocation endpoint
	API    string // base URL of the API that lists choices and names the account
	// Hosts are the only hosts the user's token is ever sent to; the report fetchers call
	// these too (GA4's Data API, Search Console's API…).
	Hosts []string
}

// Choice is one thing a report can be about: a GA4 property, a site, a repository.
type Choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Group is what the choice belongs to (the GA4 account, the repository owner).
	Group string `json:"group,omitempty"`
}

// Chooser lists what the user can choose from.
type Chooser struct {
	// Kind names what is chosen: ga4_property, search_console_site, github_repos, demo_site.
	Kind string
	// Max is how many may be chosen at once (MaxSources properties or sites, 10 repositories).
	Max  int
	list func(ctx context.Context, p *Provider, hc *http.Client) ([]Choice, error)
}

// Grant is what a revocation needs. Each provider revokes with what it accepts: Google a
// refresh token, GitHub an access token, Stripe the connected account id, the sandbox either.
type Grant struct {
	AccessToken  string
	RefreshToken string
	AccountID    string
	// Mode is the Stripe mode the grant was made in (ModeTest, or "" for live): its
	// revocation needs that mode's key.
	Mode string `json:",omitempty"`
}

// Account names the account a token belongs to.
type Account struct {
	ID    string
	Label string
}

// Provider is one OAuth provider, configured.
type Provider struct {
	ID   string
	Name string
	Endpoints
	Credentials config.Credentials
	// Mode is the Stripe mode these credentials are for (ForMode); "" is live.
	Mode string
	// IdleLimit is how long a refresh token lives without being used (Google: six months
	// unused; GitHub: six months, renewed by each refresh); 0 when it does not die of
	// disuse. The keep-alive job renews tokens well before (lib/integration keepalive.go).
	IdleLimit time.Duration
	// Scopes are what Metriqs asks for, from the scope table.
	Scopes []Scope
	// SendScope puts Scopes in the authorization request. GitHub Apps and Stripe Apps take
	// their permissions from the app's registration instead, and ignore the parameter.
	SendScope bool
	// CheckGranted makes the callback require every scope in the token response's scope:
	// Google's consent screen lets users untick scopes.
	CheckGranted bool
	PKCE         bool
	Auth         ClientAuth
	// AuthParams are added to the authorization request.
	AuthParams url.Values
	// OneGrant: the provider keeps one authorization per user and app, so revoking any of its
	// tokens ends all of them, those of a newer connection included (Google, GitHub, Stripe).
	OneGrant bool
	// SharedGrant names providers that share that one grant (both Google ones use the same
	// OAuth client): revoking one revokes the other.
	SharedGrant string
	// RevokeNeedsLiveToken: the revocation takes an access token that must not have expired.
	RevokeNeedsLiveToken bool
	// AssumedLifetime is how long an access token lives when the token response does not say
	// (Stripe documents one hour but sends no expires_in); 0 means such a token never expires.
	AssumedLifetime time.Duration
	// ExchangeWithoutRedirect leaves redirect_uri out of the code exchange: Stripe's API
	// refuses parameters it does not document.
	ExchangeWithoutRedirect bool
	// Chooser is nil when there is nothing to choose (Stripe: the whole connected account).
	Chooser *Chooser

	// header goes with every request to the provider's token and revocation endpoints
	// (Stripe's pinned API version).
	header  http.Header
	revoke  func(ctx context.Context, p *Provider, hc *http.Client, g Grant) error
	account func(ctx context.Context, p *Provider, hc *http.Client, t *oauth2.Token) (Account, error)
}

// Errors a caller acts on.
var (
	// ErrUnknown: no provider has that id.
	ErrUnknown = errors.New("provider: unknown provider")
	// ErrNotConfigured: the provider exists but this deployment has no OAuth client for it.
	ErrNotConfigured = errors.New("provider: not configured")
	// ErrRejected: the provider refused a revocation for good (the token is already invalid,
	// or was never ours); retrying cannot help.
	ErrRejected = errors.New("provider: request rejected")
	// ErrTransient: the provider did not answer, or answered 5xx or 429; worth retrying.
	ErrTransient = errors.New("provider: temporarily unavailable")
	// ErrUnconfirmed: the provider refused the revocation request in a way that does not say
	// the access ended (Stripe's invalid_client, or our own key refused): retried and
	// surfaced, never recorded as "already revoked".
	ErrUnconfirmed = errors.New("provider: revocation refused, access not known to have ended")
	// ErrNothingToRevoke: the grant lacks what this provider revokes with; nothing was sent.
	ErrNothingToRevoke = errors.New("provider: nothing to revoke with")
)

// Configured reports whether the deployment has an OAuth client for p.
func (p *Provider) Configured() bool { return p.Credentials.ClientID != "" }

// Modes of a Stripe install. Live is the empty string, so records and grants made before
// test mode existed are live, as they were.
const (
	ModeLive = ""
	ModeTest = "test"
)

// HasTestMode reports whether p can take test-mode installs (a test key is configured).
func (p *Provider) HasTestMode() bool { return p.Credentials.TestSecret != "" }

// ForMode is p with the credentials of mode: Stripe's Apps OAuth exchanges a code, refreshes
// and deauthorizes with the app owner's secret key *of the mode the app was installed in*, so
// a test-mode install fails with the live key. p itself for live, or when p has no test key.
// https://docs.stripe.com/stripe-apps/api-authentication/oauth
func (p *Provider) ForMode(mode string) *Provider {
	if mode != ModeTest || !p.HasTestMode() {
		return p
	}
	c := *p
	c.Credentials.ClientSecret = p.Credentials.TestSecret
	c.Mode = ModeTest
	return &c
}

// ScopeNames are the names of p's scopes, in table order.
func (p *Provider) ScopeNames() []string {
	names := make([]string, len(p.Scopes))
	for i, s := range p.Scopes {
		names[i] = s.Name
	}
	return names
}

// AuthCodeURL is the authorization request the user's browser is sent to. verifier is the
// PKCE code verifier ("" when p does not use PKCE); only its S256 challenge leaves us.
func (p *Provider) AuthCodeURL(redirectURI, state, verifier string) string {
	c := p.authConfig(redirectURI)
	opts := []oauth2.AuthCodeOption{}
	for k, vs := range p.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	if p.PKCE && verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code for tokens. ctx carries the HTTP client to use
// (oauth2.HTTPClient).
func (p *Provider) Exchange(ctx context.Context, redirectURI, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if p.PKCE && verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	if p.ExchangeWithoutRedirect {
		redirectURI = ""
	}
	return p.tokenConfig(redirectURI).Exchange(p.withHeader(ctx), code, opts...)
}

// Refresh trades a refresh token for new tokens. The answer's RefreshToken is the old one
// when the provider did not rotate it.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	return p.tokenConfig("").TokenSource(p.withHeader(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// Granted returns the scopes the token response says were granted, and those of p's scopes
// that are missing. Providers that do not report scopes (CheckGranted false) miss none.
func (p *Provider) Granted(t *oauth2.Token) (granted, missing []string) {
	raw, _ := t.Extra("scope").(string)
	// RFC 6749 §3.3 separates scopes with spaces; GitHub uses commas.
	granted = strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' })
	if !p.CheckGranted {
		return granted, nil
	}
	for _, s := range p.Scopes {
		if !slices.Contains(granted, s.Name) {
			missing = append(missing, s.Name)
		}
	}
	return granted, missing
}

// Revoke ends the grant at the provider. The error wraps ErrRejected (give up: the token is
// already unusable), ErrTransient or ErrUnconfirmed (try again later) or ErrNothingToRevoke.
func (p *Provider) Revoke(ctx context.Context, hc *http.Client, g Grant) error {
	return p.revoke(ctx, p, hc, g)
}

// Account names the account t belongs to. hc carries t.
func (p *Provider) Account(ctx context.Context, hc *http.Client, t *oauth2.Token) (Account, error) {
	if p.account == nil {
		return Account{}, nil
	}
	return p.account(ctx, p, hc, t)
}

// Choices lists what the user can choose from. hc carries the user's token.
func (p *Provider) Choices(ctx context.Context, hc *http.Client) ([]Choice, error) {
	if p.Chooser == nil {
		return nil, nil
	}
	return p.Chooser.list(ctx, p, hc)
}

// AllowsHost reports whether the user's token may be sent to host (host[:port]).
func (p *Provider) AllowsHost(host string) bool { return slices.Contains(p.Hosts, host) }

// authConfig is the x/oauth2 configuration of the authorization request.
func (p *Provider) authConfig(redirectURI string) *oauth2.Config {
	c := &oauth2.Config{
		ClientID:    p.Credentials.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: p.Endpoints.Auth, TokenURL: p.Endpoints.Token},
		RedirectURL: redirectURI,
	}
	if p.SendScope {
		c.Scopes = p.ScopeNames()
	}
	return c
}

// tokenConfig is the x/oauth2 configuration of token requests, with p's client
// authentication pinned (no auto-detection, which would send the secret twice on a failure).
func (p *Provider) tokenConfig(redirectURI string) *oauth2.Config {
	c := p.authConfig(redirectURI)
	c.ClientSecret = p.Credentials.ClientSecret
	switch p.Auth {
	case SecretBasic:
		c.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	case SecretKeyBasic:
		// x/oauth2 sends Basic base64(ClientID:ClientSecret); Stripe wants the secret key as
		// the user name and nothing else.
		c.ClientID, c.ClientSecret = p.Credentials.ClientSecret, ""
		c.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	default:
		c.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return c
}

// MaxSources is how many GA4 properties, or Search Console sites, one report may cover: each
// is a section of its own, fetched side by side within the report's time for the provider,
// and each spends the provider's per-project quota (GA4's core tokens, Search Console's
// queries per minute), so a handful, as an agency's weekly report needs, not a portfolio.
const MaxSources = 5
