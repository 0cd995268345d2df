package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// StripeVersion is the Stripe API version every Stripe call asks for (Stripe-Version header):
// token exchange and refresh, deauthorization and the reports' API reads. Without it each
// account answers in its own default version, whose object shapes may not be the ones the
// code reads. Moving it means reading the changelog between the two versions for the
// objects used (balance transactions, customers, subscriptions, prices, OAuth answers).
// https://docs.stripe.com/api-versions
const StripeVersion = "2026-09-30.endive"

// newStripe is Stripe through a Stripe App installed with OAuth, not Connect OAuth.
//
// Why: Connect's OAuth grants a platform read_write on the account unless it was registered
// as an "extension", the only kind allowed read_only, and Stripe no longer registers new
// extensions; Connect OAuth is also "not recommended for new platforms". A Stripe App asks
// the account's administrator for a granular list of permissions at install time
// (balance_read, customer_read, subscription_read here: read-only, nothing else), and its
// OAuth access tokens expire after an hour, with refresh tokens that rotate on use.
// https://docs.stripe.com/stripe-apps/api-authentication/oauth
// https://docs.stripe.com/connect/oauth-changes-for-standard-platforms
//
// STRIPE_CLIENT_ID is the app's OAuth client id (ca_…); STRIPE_SECRET_KEY is the secret key
// of the account that owns the app, which authenticates token and deauthorize calls. The
// permissions come from the app manifest (scope table), not from a scope parameter. Stripe
// documents no PKCE for this flow.
func newStripe() *Provider {
	return &Provider{
		ID: Stripe, Name: "Stripe",
		Endpoints: Endpoints{
			Auth:   "https://marketplace.stripe.com/oauth/v2/authorize",
			Token:  "https://api.stripe.com/v1/oauth/token",
			Revoke: "https://api.stripe.com/v1/oauth/deauthorize",
			API:    "https://api.stripe.com",
			Hosts:  []string{"api.stripe.com"},
		},
		Auth:                    SecretKeyBasic,
		ExchangeWithoutRedirect: true,
		OneGrant:                true,
		// "Access tokens expire after one hour"; the token response has no expires_in.
		AssumedLifetime: time.Hour,
		header:          http.Header{"Stripe-Version": {StripeVersion}},
		revoke:          revokeStripe,
		account:         stripeAccount,
	}
}

// stripeAccount is the installing account's id, which the token response carries.
func stripeAccount(_ context.Context, _ *Provider, _ *http.Client, t *oauth2.Token) (Account, error) {
	id, _ := t.Extra("stripe_user_id").(string)
	if id == "" {
		return Account{}, fmt.Errorf("%w: Stripe's token response has no stripe_user_id", ErrRejected)
	}
	label := id
	if live, ok := t.Extra("livemode").(bool); ok && !live {
		label += " (test mode)"
	}
	return Account{ID: id, Label: label}, nil
}

// revokeStripe uninstalls the app from the account, which ends every token it holds there.
// POST /v1/oauth/deauthorize with client_id and stripe_user_id, authenticated with the app
// owner's secret key, answers {"stripe_user_id"}. Its refusals (400 invalid_client, 401 for
// the key) do not say that the access ended: invalid_client is also what a wrong client id or
// a key of the other mode gets. So a refusal is ErrUnconfirmed (retried by the revoke-token
// job and shown as pending), not ErrRejected (which would log "already revoked").
// https://docs.stripe.com/connect/oauth-reference#post-deauthorize
func revokeStripe(ctx context.Context, p *Provider, hc *http.Client, g Grant) error {
	if g.AccountID == "" {
		return fmt.Errorf("%w: no Stripe account id to deauthorize", ErrNothingToRevoke)
	}
	form := url.Values{"client_id": {p.Credentials.ClientID}, "stripe_user_id": {g.AccountID}}
	err := postForm(ctx, hc, p.Endpoints.Revoke, form.Encode(), func(r *http.Request) {
		r.SetBasicAuth(p.Credentials.ClientSecret, "")
		setHeader(r, p.header)
	})
	if errors.Is(err, ErrRejected) {
		return fmt.Errorf("%w: Stripe deauthorize: %v", ErrUnconfirmed, err)
	}
	return err
}
