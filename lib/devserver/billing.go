package devserver

import (
	"cmp"
	"net/http"
	"os"
	"strings"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/stripesandbox"
)

// sandboxBilling points billing at the local Stripe sandbox when no Stripe key is set: the
// sandbox's key (which lib/config accepts in development only) and STRIPE_API_URL under this
// server. It must run before the functions first read their configuration.
func (s *Server) sandboxBilling() bool {
	if os.Getenv("STRIPE_BILLING_SECRET_KEY") != "" {
		return false
	}
	os.Setenv("STRIPE_BILLING_SECRET_KEY", config.DevBillingKey)
	os.Setenv("STRIPE_API_URL", s.URL+stripesandbox.Prefix)
	return true
}

// startStripe creates the sandbox for cfg's prices and webhook secret, and says what billing
// runs on.
func (s *Server) startStripe(cfg *config.Config, sandbox bool) string {
	if !sandbox {
		return "Stripe at " + cmp.Or(cfg.Billing.APIURL, "api.stripe.com")
	}
	prices := map[string]string{}
	for k, id := range cfg.Billing.Prices {
		_, interval, _ := strings.Cut(k, "/")
		prices[id] = interval
	}
	s.Stripe = stripesandbox.New(stripesandbox.Options{Key: cfg.Billing.SecretKey, WebhookSecret: cfg.Billing.WebhookSecrets[0],
		WebhookURL: s.URL + "/api/billing/webhook", BaseURL: s.URL + stripesandbox.Prefix, Prices: prices})
	return "local Stripe sandbox at " + s.URL + stripesandbox.Prefix + " (checkout page, portal, signed webhooks; in memory)"
}

// withStripe serves the sandbox beside the site, as withMailbox serves the mailbox.
func withStripe(site, sandbox http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, stripesandbox.Prefix+"/") {
			sandbox.ServeHTTP(w, r)
			return
		}
		site.ServeHTTP(w, r)
	})
}
