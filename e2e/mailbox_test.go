package e2e

import (
	"net/http"
	"net/smtp"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// The product's own mail reaches the local mailbox: signing up sends the verification
// message through the send-email job to the catcher the dev server started, and its link
// points at the dev server itself (APP_URL), so following it works.
func TestSignupMailArrivesInLocalMailbox(t *testing.T) {
	t.Parallel()
	_, user := signUp(t)
	email := user["email"].(string)
	m := devtest.WaitMail(t, email, nil)
	var link string
	for _, l := range m.Links {
		if strings.HasPrefix(l, devtest.Server.URL+"/") {
			link = l
		}
	}
	if link == "" {
		t.Fatalf("verification mail has no link to %s: %q", devtest.Server.URL, m.Links)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", link, res.StatusCode)
	}
	if m.HTML == "" || m.Text == "" || !strings.Contains(m.From, "@") {
		t.Fatalf("mail not parsed into parts: %+v", m)
	}
}

// Mail submitted over SMTP by any client is listed by the JSON API for its recipient only.
func TestMailboxAPIFiltersByRecipient(t *testing.T) {
	t.Parallel()
	to, other := newEmail(), newEmail()
	msg := "From: a@example.com\r\nTo: " + to + "\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nhello https://example.com/x\r\n"
	if err := smtp.SendMail(devtest.Server.Mail.Addr(), nil, "a@example.com", []string{to}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	m := devtest.WaitMail(t, to, func(m devtest.Mail) bool { return m.Subject == "Grüße" })
	if len(m.Links) != 1 || m.Links[0] != "https://example.com/x" {
		t.Fatalf("links = %q", m.Links)
	}
	if got := devtest.Mails(t, other); len(got) != 0 {
		t.Fatalf("mail for %s listed for %s: %+v", to, other, got)
	}
}
