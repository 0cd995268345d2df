package notice_test

import (
	"context"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

func capture(into *[]mail.Message) func(context.Context, mail.Message) error {
	return func(_ context.Context, m mail.Message) error { *into = append(*into, m); return nil }
}

// A notice is keyed by its event and occurrence, carries time in UTC, IP, readable device and
// the Settings link, and its extras; without an occurrence it is refused.
func TestSecurityMessage(t *testing.T) {
	var got []mail.Message
	s := notice.New(capture(&got), "https://app.example/")
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	err := s.Security(context.Background(), "u1", "a@example.com", notice.Security{
		Event: notice.RecoveryCodeUsed, ID: "abc", At: at, Extra: map[string]string{"remaining": "4"},
		Client: web.Client{IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (Windows NT 10.0; rv:133.0) Gecko/20100101 Firefox/133.0"},
	})
	if err != nil || len(got) != 1 {
		t.Fatal(err, got)
	}
	m := got[0]
	want := map[string]string{"event": "recovery_code_used", "time": "2026-12-02T13:05:00Z", "ip": "203.0.113.9",
		"device": "Firefox on Windows", "url": "https://app.example/app/settings#security", "remaining": "4"}
	for k, v := range want {
		if m.Data[k] != v {
			t.Errorf("data[%s] = %q, want %q", k, m.Data[k], v)
		}
	}
	if m.Key != "notice:recovery_code_used:abc" || m.Kind != notice.KindSecurity || m.From != mail.FromAccount || m.To != "a@example.com" {
		t.Fatalf("message %+v", m)
	}
	if err := s.Security(context.Background(), "u1", "a@example.com", notice.Security{Event: notice.TOTPEnabled}); err == nil || len(got) != 1 {
		t.Fatal("a notice without an occurrence id was queued")
	}
}

// Connection notices go to a live account's address, and not at all to a closed one.
func TestConnectionAddress(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	var got []mail.Message
	s := notice.New(capture(&got), "https://app.example")
	st.R.HSet(ctx, st.Key("user", "u1"), "email", "a@example.com")
	n := notice.Connection{Kind: notice.KindNeedsReauth, Provider: "github", Name: "GitHub", ID: "gen1"}
	if err := s.Connection(ctx, st, "u1", n); err != nil || len(got) != 1 {
		t.Fatal(err, got)
	}
	if m := got[0]; m.Key != "connection:connection_needs_reauth:github:gen1" || m.Data["url"] != "https://app.example/app/integrations" || m.Data["provider"] != "GitHub" {
		t.Fatalf("message %+v", m)
	}
	st.R.HSet(ctx, st.Key("user", "u1"), "deleted", "1")
	if err := s.Connection(ctx, st, "u1", n); err != nil || len(got) != 1 {
		t.Fatalf("a closed account was told: %v %v", err, got)
	}
}
