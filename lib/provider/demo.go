package provider

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/config"
)

// Paths of the sandbox provider, served by this deployment (api/sandbox/).
const (
	DemoAuthorizePath = "/api/sandbox/authorize"
	DemoTokenPath     = "/api/sandbox/token"
	DemoRevokePath    = "/api/sandbox/revoke"
	DemoSitesPath     = "/api/sandbox/sites"
	DemoMetricsPath   = "/api/sandbox/metrics"
)

// DemoClientID is the sandbox's one registered client: Metriqs itself.
const DemoClientID = "metriqs-demo"

// CallbackPath is where every provider sends the user back; the redirect URI to register is
// APP_URL + CallbackPath.
const CallbackPath = "/api/integrations/callback"

// newDemo is the sandbox ("Demo data"): a real authorization-code flow with PKCE S256,
// client_secret_basic, expiring access tokens, rotating refresh tokens and RFC 7009
// revocation, served by this same deployment so the product works with no outside account.
func newDemo(appURL string) *Provider {
	base := strings.TrimRight(appURL, "/")
	return &Provider{
		ID: Demo, Name: "Demo data",
		Endpoints: Endpoints{
			Auth:   base + DemoAuthorizePath,
			Token:  base + DemoTokenPath,
			Revoke: base + DemoRevokePath,
			API:    base,
			Hosts:  []string{hostOf(base)},
		},
		SendScope:    true,
		CheckGranted: true, // the sandbox's consent page lets the user untick a scope, as Google's does
		PKCE:         true,
		Auth:         SecretBasic,
		Chooser:      &Chooser{Kind: "demo_site", Max: 1, list: listDemoSites},
		revoke:       revokeDemo,
		account:      demoAccount,
	}
}

// DemoCredentials is the sandbox client's id and secret. Both ends (the sandbox and the
// integration code) run in this deployment, so the secret is derived from the active token
// sealing key (HKDF-SHA256 with its own label, so it reveals nothing about the key) rather
// than configured: there is no public default a deployment could forget to replace.
func DemoCredentials(ring config.KeyRing) config.Credentials {
	if len(ring) == 0 {
		return config.Credentials{}
	}
	k, err := hkdf.Key(sha256.New, ring.Active().Secret, nil, "metriqs sandbox client secret v1", 32)
	if err != nil {
		return config.Credentials{}
	}
	return config.Credentials{ClientID: DemoClientID, ClientSecret: base64.RawURLEncoding.EncodeToString(k)}
}

// demoAccount is the sandbox account the token response names.
func demoAccount(_ context.Context, _ *Provider, _ *http.Client, t *oauth2.Token) (Account, error) {
	id, _ := t.Extra("account_id").(string)
	name, _ := t.Extra("account_name").(string)
	return Account{ID: id, Label: name}, nil
}

// listDemoSites reads the sandbox account's demo sites.
func listDemoSites(ctx context.Context, p *Provider, hc *http.Client) ([]Choice, error) {
	var res struct {
		Sites []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"sites"`
	}
	if err := getJSON(ctx, hc, strings.TrimRight(p.Endpoints.API, "/")+DemoSitesPath, nil, &res); err != nil {
		return nil, err
	}
	out := make([]Choice, 0, len(res.Sites))
	for _, s := range res.Sites {
		out = append(out, Choice{ID: s.ID, Label: s.Name})
	}
	return out, nil
}

// revokeDemo revokes the refresh token, and with it the grant (RFC 7009 §2.1).
func revokeDemo(ctx context.Context, p *Provider, hc *http.Client, g Grant) error {
	form := url.Values{"token": {firstNonEmpty(g.RefreshToken, g.AccessToken)}}
	if form.Get("token") == "" {
		return ErrNothingToRevoke
	}
	if g.RefreshToken != "" {
		form.Set("token_type_hint", "refresh_token")
	}
	return postForm(ctx, hc, p.Endpoints.Revoke, form.Encode(), func(r *http.Request) {
		r.SetBasicAuth(url.QueryEscape(p.Credentials.ClientID), url.QueryEscape(p.Credentials.ClientSecret))
	})
}
