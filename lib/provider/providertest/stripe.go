package providertest

import (
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// StripeAccount is the account that installs the app in the Stripe fake.
const StripeAccount = "acct_1FakeInstaller"

// Stripe is a Stripe App's OAuth install: no scope parameter (permissions come from the
// manifest), no PKCE, the app owner's secret key as Basic user name, no parameter Stripe
// does not document, tokens that expire after an hour with no expires_in in the answer,
// and refresh tokens that rotate.
//
// Sources: https://docs.stripe.com/stripe-apps/api-authentication/oauth (token answer:
// access_token, livemode, refresh_token, scope "stripe_apps", stripe_publishable_key,
// stripe_user_id, token_type) and https://docs.stripe.com/connect/oauth-reference#post-deauthorize
// (client_id and stripe_user_id; answers {"stripe_user_id"}, or 400 invalid_client).
func Stripe(t testing.TB) *Fake {
	return start(t, Config{
		ID: "stripe", ClientID: "ca_FakeStripeApp", ClientSecret: "sk_test_FakeAppOwnerKey",
		AuthPath: "/oauth/v2/authorize", TokenPath: "/v1/oauth/token", RevokePath: "/v1/oauth/deauthorize",
		Auth: provider.SecretKeyBasic, Rotate: true, AccessTTL: time.Hour,
		ErrorStatus: http.StatusBadRequest, BadRefresh: "invalid_grant",
		Extra: func(*Grant) map[string]any {
			return map[string]any{"scope": "stripe_apps", "livemode": false, "stripe_user_id": StripeAccount, "stripe_publishable_key": "pk_test_Fake"}
		},
		Revoke:  revokeStripe,
		Require: http.Header{"Stripe-Version": {provider.StripeVersion}},
	})
}

func revokeStripe(f *Fake, w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || r.ParseForm() != nil || !ok || user != f.ClientSecret || pass != "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"type": "invalid_request_error", "message": "Invalid API Key provided"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.RevokeStatus != 0 {
		w.WriteHeader(f.RevokeStatus)
		return
	}
	if r.PostForm.Get("client_id") != f.ClientID || r.PostForm.Get("stripe_user_id") != StripeAccount || len(f.grants) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": "This application is not connected to stripe account " + r.PostForm.Get("stripe_user_id") + "."})
		return
	}
	// Uninstalling ends every token of the account.
	for id := range f.grants {
		delete(f.grants, id)
	}
	f.revoked = append(f.revoked, r.PostForm)
	writeJSON(w, http.StatusOK, map[string]string{"stripe_user_id": StripeAccount})
}
