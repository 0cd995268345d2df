package config

import (
	"strings"
	"testing"
)

func productionBilling() map[string]string {
	env := production()
	env["STRIPE_BILLING_SECRET_KEY"] = "rk_live_abc"
	env["STRIPE_WEBHOOK_SECRET"] = "whsec_new"
	env["STRIPE_WEBHOOK_SECRET_PREVIOUS"] = "whsec_old"
	env["STRIPE_PRICE_PRO_MONTH"] = "price_m"
	env["STRIPE_PRICE_PRO_YEAR"] = "price_y"
	return env
}

func TestLoadBilling(t *testing.T) {
	c, err := Load(envOf(productionBilling()))
	if err != nil {
		t.Fatal(err)
	}
	b := c.Billing
	if !b.Enabled() || len(b.WebhookSecrets) != 2 || b.WebhookSecrets[0] != "whsec_new" || b.Price("pro", "year") != "price_y" {
		t.Fatalf("billing = %+v", b)
	}
	if p, iv, ok := b.PlanOf("price_m"); !ok || p != "pro" || iv != "month" {
		t.Fatalf("PlanOf = %s %s %v", p, iv, ok)
	}
	if c, err := Load(envOf(production())); err != nil || c.Billing.Enabled() {
		t.Fatalf("without a key billing is off: %+v, %v", c, err)
	}
}

// Half a billing configuration, or the sandbox's keys, never load in production.
func TestLoadBillingRefuses(t *testing.T) {
	for name, mutate := range map[string]func(map[string]string){
		"no webhook secret": func(e map[string]string) {
			delete(e, "STRIPE_WEBHOOK_SECRET")
			delete(e, "STRIPE_WEBHOOK_SECRET_PREVIOUS")
		},
		"no yearly price":    func(e map[string]string) { delete(e, "STRIPE_PRICE_PRO_YEAR") },
		"sandbox key":        func(e map[string]string) { e["STRIPE_BILLING_SECRET_KEY"] = DevBillingKey },
		"sandbox secret":     func(e map[string]string) { e["STRIPE_WEBHOOK_SECRET_PREVIOUS"] = devWebhookSecret },
		"plain http API URL": func(e map[string]string) { e["STRIPE_API_URL"] = "http://127.0.0.1:12111" },
	} {
		env := productionBilling()
		mutate(env)
		if _, err := Load(envOf(env)); err == nil || !strings.Contains(err.Error(), "STRIPE") && !strings.Contains(err.Error(), "sandbox") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadBillingSandbox(t *testing.T) {
	c, err := Load(envOf(map[string]string{"METRIQS_ENV": "development", "STRIPE_BILLING_SECRET_KEY": DevBillingKey,
		"STRIPE_API_URL": "http://127.0.0.1:3000/_dev/stripe"}))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Billing; b.WebhookSecrets[0] != devWebhookSecret || b.Price("pro", "month") == "" {
		t.Fatalf("sandbox billing = %+v", b)
	}
}
