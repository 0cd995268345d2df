package accountmail

import (
	"context"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func notice(data map[string]string) mail.Message {
	return mail.Message{Key: "k", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: "security_notice", Data: data}
}

// Every lib/notice event renders with its own subject, the time in UTC, the IP, the device
// and the link; values are escaped in the HTML part; an unknown event is refused.
func TestSecurityNoticeRenders(t *testing.T) {
	for event, ev := range securityEvents {
		c, err := mail.Render(context.Background(), notice(map[string]string{"event": event, "time": "2026-12-02T13:05:00Z",
			"ip": "203.0.113.9", "device": "<b>Firefox</b> on Windows", "url": "https://app.example/app/settings#security",
			"purge_by": "2027-01-01T13:05:00Z"}))
		if err != nil {
			t.Fatal(event, err)
		}
		if c.Subject != ev.subject || !strings.Contains(c.Text, "13:05 UTC") || !strings.Contains(c.Text, "203.0.113.9") ||
			strings.Contains(c.HTML, "<b>Firefox") || !strings.Contains(c.HTML, "&lt;b&gt;Firefox") {
			t.Errorf("%s: %q\n%s", event, c.Subject, c.Text)
		}
		if hasLink := strings.Contains(c.Text, "https://app.example/app/settings#security"); hasLink == (event == "account_deletion_requested") {
			t.Errorf("%s: link shown %v", event, hasLink)
		}
	}
	if _, err := mail.Render(context.Background(), notice(map[string]string{"event": "something", "time": "2026-12-02T13:05:00Z"})); err == nil {
		t.Fatal("an unknown event rendered")
	}
}

func TestConnectionNoticesRender(t *testing.T) {
	for kind, subject := range map[string]string{"connection_needs_reauth": "GitHub needs to be reconnected", "connection_restored": "GitHub is connected again"} {
		m := mail.Message{Key: "k", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: kind,
			Data: map[string]string{"provider": "GitHub", "url": "https://app.example/app/integrations"}}
		c, err := mail.Render(context.Background(), m)
		if err != nil || c.Subject != subject || !strings.Contains(c.Text, "https://app.example/app/integrations") {
			t.Fatalf("%s: %v %q\n%s", kind, err, c.Subject, c.Text)
		}
	}
}

// A connection notice names the integration in every line: without it, no mail.
func TestConnectionNoticeNeedsProvider(t *testing.T) {
	for _, kind := range []string{"connection_needs_reauth", "connection_restored"} {
		m := mail.Message{Key: "k", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: kind,
			Data: map[string]string{"url": "https://app.example/app/integrations"}}
		if _, err := mail.Render(context.Background(), m); err == nil {
			t.Errorf("%s without a provider rendered", kind)
		}
	}
}
