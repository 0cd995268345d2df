package provider

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Google's OAuth 2.0 for web server applications.
// https://developers.google.com/identity/protocols/oauth2/web-server
var googleOAuth = Endpoints{
	Auth:   "https://accounts.google.com/o/oauth2/v2/auth",
	Token:  "https://oauth2.googleapis.com/token",
	Revoke: "https://oauth2.googleapis.com/revoke",
}

// newGoogle is what Google Analytics and Search Console share: one OAuth client
// (GOOGLE_CLIENT_ID), PKCE S256, client_secret_post, and offline access.
//
// Both use the same client, so Google keeps one grant per user for both; revoking either
// one's token ends the grant, and with it the other's tokens (SharedGrant).
func newGoogle(id, name string) *Provider {
	return &Provider{
		ID: id, Name: name,
		Endpoints:    googleOAuth,
		SendScope:    true,
		CheckGranted: true, // the consent screen lets users untick a scope
		PKCE:         true,
		Auth:         SecretPost,
		AuthParams: url.Values{
			// A refresh token, so reports run while the user is away.
			"access_type": {"offline"},
			// Google only returns a refresh token on consent; asking again on every connect
			// means a reconnect always yields one.
			"prompt": {"consent"},
		},
		OneGrant:    true,
		SharedGrant: "google",
		// "A refresh token might stop working … if the user has not used it for six months."
		// https://developers.google.com/identity/protocols/oauth2#expiration
		IdleLimit: 183 * 24 * time.Hour,
		revoke:    revokeGoogle,
	}
}

// revokeGoogle posts the refresh token (or the access token, when there is none) to the
// revocation endpoint; either revokes the whole grant. 200 means revoked; 400 invalid_token
// means it already was (expired or revoked by the user).
// https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
func revokeGoogle(ctx context.Context, p *Provider, hc *http.Client, g Grant) error {
	tok := firstNonEmpty(g.RefreshToken, g.AccessToken)
	if tok == "" {
		return ErrNothingToRevoke
	}
	return postForm(ctx, hc, p.Endpoints.Revoke, url.Values{"token": {tok}}.Encode(), nil)
}
