package accountmail

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the renderers")

// goldenMessages are the kinds whose rendering is pinned to the byte: their renderers share a
// builder, and a change to it must not change a mail without the golden file changing too.
var goldenMessages = map[string]map[string]string{
	"connection_needs_reauth": {"provider": "Google <Analytics>", "url": "https://app.example/app/integrations"},
	"connection_restored":     {"provider": "Google <Analytics>", "url": "https://app.example/app/integrations"},
	"email_change_confirm":    {"url": "https://app.example/confirm?t=a&b", "new_email": "new<x>@example.com"},
	"password_reset":          {"url": "https://app.example/reset-password?token=a&b", "expires_minutes": "30"},
	"verify_email":            {"url": "https://app.example/verify-email?token=a&b"},
	"email_change_notice": {"new_email": "new<x>@example.com", "time": "2026-12-02T13:05:00Z", "ip": "203.0.113.9",
		"device": "<b>Firefox</b> on Windows", "url": "https://app.example/app/settings#security"},
}

// The subject, text and HTML parts of each kind are exactly testdata/KIND.golden (go test
// -run TestGolden -update rewrites them; review the diff).
func TestGolden(t *testing.T) {
	for kind, data := range goldenMessages {
		m := mail.Message{Key: "k", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: kind, Data: data}
		c, err := mail.Render(context.Background(), m)
		if err != nil {
			t.Fatal(kind, err)
		}
		got := []byte("Subject: " + c.Subject + "\n\n" + c.Text + "\n\n" + c.HTML + "\n")
		path := filepath.Join("testdata", kind+".golden")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s:\n%s", kind, path, got)
		}
	}
}
