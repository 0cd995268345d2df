package accountmail

import (
	"context"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
)

// Each link kind renders its link in both parts, escapes what the user typed, and refuses a
// message missing a value it shows.
func TestLinkKindsRender(t *testing.T) {
	cases := map[string]map[string]string{
		"password_reset":       {"url": "https://app.example/reset-password?token=abc", "expires_minutes": "30"},
		"verify_email":         {"url": "https://app.example/verify-email?token=abc"},
		"email_change_confirm": {"url": "https://app.example/confirm-email?token=abc", "new_email": "<b>x@example.com"},
		"email_change_notice":  {"url": "https://app.example/app/settings#security", "new_email": "<b>x@example.com", "time": "2026-12-02T12:00:00Z", "ip": "203.0.113.1", "device": "Firefox on Linux"},
	}
	for kind, data := range cases {
		m := mail.Message{Key: kind + ":1", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: kind, Data: data}
		c, err := mail.Render(context.Background(), m)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !strings.Contains(c.Text, data["url"]) || !strings.Contains(c.HTML, strings.ReplaceAll(data["url"], "&", "&amp;")) || c.Subject == "" {
			t.Errorf("%s: link missing: %q", kind, c.Text)
		}
		if strings.Contains(c.HTML, "<b>x@") {
			t.Errorf("%s: the new address is not escaped", kind)
		}
		for k := range data {
			short := map[string]string{}
			for k2, v := range data {
				if k2 != k {
					short[k2] = v
				}
			}
			m.Data = short
			if _, err := mail.Render(context.Background(), m); err == nil {
				t.Errorf("%s without %s rendered", kind, k)
			}
		}
	}
}
