package provider_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/provider/providertest"
)

// Stripe Apps' OAuth (https://docs.stripe.com/stripe-apps/api-authentication/oauth) installs
// through the marketplace and exchanges, refreshes and deauthorizes on api.stripe.com with
// the app owner's secret key as the Basic user name: not Connect's connect.stripe.com
// endpoints, whose deauthorize belongs to another kind of integration.
func TestStripeAppsEndpoints(t *testing.T) {
	cfg := &config.Config{AppURL: "https://app.example", Providers: map[string]config.Credentials{
		provider.Stripe: {ClientID: "ca_App", ClientSecret: "sk_live_Owner"}}}
	p, err := provider.New(cfg).Get(provider.Stripe)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Endpoints{Auth: "https://marketplace.stripe.com/oauth/v2/authorize",
		Token: "https://api.stripe.com/v1/oauth/token", Revoke: "https://api.stripe.com/v1/oauth/deauthorize"}
	if p.Endpoints.Auth != want.Auth || p.Endpoints.Token != want.Token || p.Endpoints.Revoke != want.Revoke {
		t.Errorf("Stripe endpoints %+v, want %+v", p.Endpoints, want)
	}
	if p.Auth != provider.SecretKeyBasic || !p.AllowsHost("api.stripe.com") || p.AllowsHost("connect.stripe.com") {
		t.Errorf("Stripe authenticates with %v; api.stripe.com allowed %v, connect.stripe.com %v",
			p.Auth, p.AllowsHost("api.stripe.com"), p.AllowsHost("connect.stripe.com"))
	}
}

// Stripe's deauthorize refuses with 400 invalid_client ("This application is not connected
// to stripe account …") a client id it does not know or a key of the other mode, and with
// 401 a key it does not accept: neither says the app was uninstalled, so neither may read as
// "already revoked" (ErrRejected), which would drop the retry while the app stays installed.
func TestStripeDeauthorizeRefusalIsUnconfirmed(t *testing.T) {
	for name, spoil := range map[string]func(*providertest.Fake){
		"invalid_client": func(f *providertest.Fake) { f.ClientID = "ca_AnotherApp" },
		"401 API key":    func(f *providertest.Fake) { f.ClientSecret = "sk_live_AnotherOwner" },
	} {
		f := providertest.Stripe(t)
		p := registry(t, provider.Stripe, f)
		spoil(f)
		err := p.Revoke(context.Background(), http.DefaultClient, provider.Grant{AccountID: providertest.StripeAccount})
		if !errors.Is(err, provider.ErrUnconfirmed) || errors.Is(err, provider.ErrRejected) {
			t.Errorf("%s: %v, want ErrUnconfirmed and not ErrRejected", name, err)
		}
	}
}
