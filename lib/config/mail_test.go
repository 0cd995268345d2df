package config

import (
	"strings"
	"testing"
)

// Outside development the mail server must be reached over TLS with AUTH: a URL without
// credentials, another scheme, or extra parts are refused, and development senders too.
func TestLoadProductionMail(t *testing.T) {
	c, err := Load(envOf(production()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTPURL != "smtps://resend:re_key@smtp.resend.com:465" || c.Mail.FromAccount != "Metriqs <account@mail.trymetriqs.com>" {
		t.Errorf("mail = %+v", c.Mail)
	}
	for name, value := range map[string]string{
		"SMTP_URL":            "smtp://smtp.resend.com:587",
		"MAIL_FROM_ACCOUNT":   devFromAccount,
		"MAIL_FROM_REPORTS":   "reports@x\r\nBcc: victim@example.com",
		"MAIL_WEBHOOK_SECRET": DevMailWebhookSecret,
	} {
		env := production()
		env[name] = value
		if _, err := Load(envOf(env)); err == nil {
			t.Errorf("%s=%q accepted outside development", name, value)
		}
	}
}

func TestCheckSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		dev, bad bool
	}{
		{url: "smtps://u:p@smtp.example.com:465"},
		{url: "smtp://u:p@smtp.example.com:587"},
		{url: "smtp://u@smtp.example.com:587", bad: true},           // no password: no AUTH
		{url: "smtp://smtp.example.com:587", bad: true},             // no AUTH
		{url: "smtp://127.0.0.1:2525", dev: true},                   // the local catcher
		{url: "http://u:p@smtp.example.com", bad: true, dev: true},  // not SMTP
		{url: "smtp://u:p@smtp.example.com:587?tls=off", bad: true}, // no options to weaken it
		{url: "smtps://u:p@smtp.example.com:465/x", bad: true},      // a path means a typo
		{url: "smtps://u:p@:465", bad: true, dev: true},             // no host
	} {
		got := CheckSMTPURL(tc.url, tc.dev)
		if (got != "") != tc.bad {
			t.Errorf("CheckSMTPURL(%q, dev=%v) = %q, want bad=%v", tc.url, tc.dev, got, tc.bad)
		}
	}
}

// Development sends from .localhost senders by default and needs no SMTP_URL of its own.
func TestLoadDevelopmentMail(t *testing.T) {
	c, err := Load(envOf(map[string]string{"METRIQS_ENV": "development"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c.Mail.FromAccount, "@metriqs.localhost>") || !strings.HasSuffix(c.Mail.FromReports, "@metriqs.localhost>") ||
		len(c.Mail.WebhookSecrets) != 1 || c.Mail.WebhookSecrets[0] != DevMailWebhookSecret {
		t.Errorf("mail = %+v", c.Mail)
	}
	p, err := Load(envOf(production()))
	if err != nil || len(p.Mail.WebhookSecrets) != 0 {
		t.Errorf("production without MAIL_WEBHOOK_SECRET has secrets %v (%v)", p.Mail.WebhookSecrets, err)
	}
}
