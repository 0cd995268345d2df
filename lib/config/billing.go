package config

import "strings"

// Billing is how Metriqs bills its own customers through Stripe (lib/subscription,
// docs/billing.md). It is not the Stripe integration of providerEnv, which reads a
// customer's own Stripe account.
type Billing struct {
	// SecretKey (STRIPE_BILLING_SECRET_KEY) is Metriqs' own Stripe secret or restricted key;
	// empty turns billing off (the plans' limits still apply: everyone is on free).
	SecretKey string
	// APIURL (STRIPE_API_URL) is empty for api.stripe.com; the local server points it at its
	// sandbox, tests at stripe-mock.
	APIURL string
	// WebhookSecrets are STRIPE_WEBHOOK_SECRET then STRIPE_WEBHOOK_SECRET_PREVIOUS (while the
	// endpoint's secret is rolled, Stripe signs with both).
	WebhookSecrets []string
	// Prices maps "plan/interval" (lib/plan ids) to a Stripe price id, from STRIPE_PRICE_*.
	Prices map[string]string
}

// Enabled reports whether billing is configured.
func (b Billing) Enabled() bool { return b.SecretKey != "" }

// Price returns the Stripe price of a plan and interval, "" when there is none.
func (b Billing) Price(plan, interval string) string { return b.Prices[plan+"/"+interval] }

// PlanOf is the reverse of Price: which plan and interval a Stripe price bills.
func (b Billing) PlanOf(price string) (plan, interval string, ok bool) {
	for k, v := range b.Prices {
		if v == price {
			plan, interval, _ = strings.Cut(k, "/")
			return plan, interval, true
		}
	}
	return "", "", false
}

// priceEnv names the price of each paid plan and interval.
var priceEnv = map[string]string{"pro/month": "STRIPE_PRICE_PRO_MONTH", "pro/year": "STRIPE_PRICE_PRO_YEAR"}

// Development defaults of the local sandbox (lib/devserver/stripesandbox). Public, so
// refused outside development.
const (
	DevBillingKey    = "sk_sandbox_metriqs_dev_not_for_production"
	devWebhookSecret = "whsec_sandbox_metriqs_dev_not_for_production"
)

func loadBilling(env func(string) string, dev bool) (Billing, []string) {
	b := Billing{SecretKey: env("STRIPE_BILLING_SECRET_KEY"), APIURL: strings.TrimRight(env("STRIPE_API_URL"), "/"), Prices: map[string]string{}}
	for _, name := range []string{"STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_PREVIOUS"} {
		if v := env(name); v != "" {
			b.WebhookSecrets = append(b.WebhookSecrets, v)
		}
	}
	for k, name := range priceEnv {
		if v := env(name); v != "" {
			b.Prices[k] = v
		}
	}
	if dev && b.SecretKey == DevBillingKey {
		if len(b.WebhookSecrets) == 0 {
			b.WebhookSecrets = []string{devWebhookSecret}
		}
		for k := range priceEnv {
			if b.Prices[k] == "" {
				b.Prices[k] = "price_sandbox_" + strings.ReplaceAll(k, "/", "_")
			}
		}
	}
	return b, b.check(dev)
}

// check refuses a half-configured billing (a checkout whose webhook cannot be verified would
// take money without ever upgrading the account) and the sandbox outside development.
func (b Billing) check(dev bool) []string {
	var problems []string
	if !b.Enabled() {
		return nil
	}
	if len(b.WebhookSecrets) == 0 {
		problems = append(problems, "STRIPE_WEBHOOK_SECRET is required with STRIPE_BILLING_SECRET_KEY")
	}
	for k, name := range priceEnv {
		if b.Prices[k] == "" {
			problems = append(problems, name+" is required with STRIPE_BILLING_SECRET_KEY")
		}
	}
	if !dev {
		if b.SecretKey == DevBillingKey || strings.Contains(strings.Join(b.WebhookSecrets, " "), devWebhookSecret) {
			problems = append(problems, "the sandbox billing key or webhook secret is configured outside development")
		}
		if b.APIURL != "" && !strings.HasPrefix(b.APIURL, "https://") {
			problems = append(problems, "STRIPE_API_URL must use https outside development")
		}
	}
	return problems
}
