package billing

import (
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
)

// Payloads signed by Stripe's own library (its test helper) verify; everything else is
// refused with ErrSignature.
func TestVerifyAgainstStripeGo(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	signed := func(secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
	}
	secrets := []string{"whsec_new", "whsec_old"}
	for name, header := range map[string]string{
		"current secret":             signed("whsec_new", now),
		"previous secret":            signed("whsec_old", now),
		"4 min old":                  signed("whsec_new", now.Add(-4*time.Minute)),
		"second v1 matches":          signed("whsec_new", now) + ",v1=" + signed("whsec_other", now)[len("t=1796212800,v1="):],
		"v1 of another secret first": "t=1796212800,v1=" + signed("whsec_other", now)[len("t=1796212800,v1="):] + "," + signed("whsec_old", now)[len("t=1796212800,"):],
		"our Sign":                   SignatureHeader(body, "whsec_new", now),
	} {
		if err := Verify(body, header, secrets, now); err != nil {
			t.Errorf("%s: %v (%s)", name, err, header)
		}
	}
	for name, c := range map[string]struct {
		body   []byte
		header string
	}{
		"no header":      {body, ""},
		"unknown secret": {body, signed("whsec_forged", now)},
		"changed body":   {[]byte(`{"id":"evt_1","type":"invoice.paid "}`), signed("whsec_new", now)},
		"stale (6 min)":  {body, signed("whsec_new", now.Add(-6*time.Minute))},
		"future (6 min)": {body, signed("whsec_new", now.Add(6*time.Minute))},
		"v0 only":        {body, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_new", Timestamp: now, Scheme: "v0"}).Header},
		"no timestamp":   {body, signed("whsec_new", now)[len("t=1796212800,"):]},
		"two timestamps": {body, "t=1," + signed("whsec_new", now)},
	} {
		if err := Verify(c.body, c.header, secrets, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
