package config

import "testing"

// STRIPE_TEST_SECRET_KEY sits beside the live key for test-mode installs; it must be a
// test-mode key, and belongs with the app's client id and live key.
func TestStripeTestKey(t *testing.T) {
	env := production()
	env["STRIPE_CLIENT_ID"], env["STRIPE_SECRET_KEY"], env["STRIPE_TEST_SECRET_KEY"] = "ca_app", "sk_live_app", "sk_test_app"
	c, err := Load(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Providers["stripe"]; s.ClientSecret != "sk_live_app" || s.TestSecret != "sk_test_app" {
		t.Fatalf("stripe credentials %+v", s)
	}
	for name, mutate := range map[string]func(map[string]string){
		"a live key as the test key": func(e map[string]string) { e["STRIPE_TEST_SECRET_KEY"] = "sk_live_other" },
		"no app":                     func(e map[string]string) { delete(e, "STRIPE_CLIENT_ID"); delete(e, "STRIPE_SECRET_KEY") },
	} {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		mutate(e)
		if _, err := Load(envOf(e)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
