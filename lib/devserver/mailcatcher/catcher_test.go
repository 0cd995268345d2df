package mailcatcher

import (
	"bytes"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

func start(t *testing.T, limit int) *Catcher {
	t.Helper()
	c, err := Start("127.0.0.1:0", limit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send submits raw over plain SMTP, as the mail path does in development.
func send(t *testing.T, c *Catcher, from string, to []string, raw []byte) {
	t.Helper()
	if err := smtp.SendMail(c.Addr(), nil, from, to, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// A message built by go-mail, the library the send-email job uses (multipart/mixed over
// multipart/alternative, UTF-8 subject as RFC 2047 words, a base64 attachment), comes out of
// the catcher with every part where it belongs.
func TestCatchesGoMailMultipartOverSMTP(t *testing.T) {
	c := start(t, 0)
	msg := gomail.NewMsg()
	if err := msg.From(`"Metriqs Sécurité" <account@metriqs.localhost>`); err != nil {
		t.Fatal(err)
	}
	if err := msg.To("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	msg.Subject("Grüße — your password was changed ✓")
	msg.SetBodyString(gomail.TypeTextPlain, "Hello Ada,\nreset here: http://localhost:3000/reset-password#t=abc.\n")
	msg.AddAlternativeString(gomail.TypeTextHTML, `<p>Hello <b>Ada</b></p><a href="http://localhost:3000/settings/security?a=1&amp;b=2">Review</a>`)
	csv := []byte("date,visits\n2026-12-01,42\n")
	if err := msg.AttachReader("visits é.csv", bytes.NewReader(csv), gomail.WithFileContentType("text/csv")); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	send(t, c, "bounce@metriqs.localhost", []string{"ada@example.com", "hidden@example.com"}, raw.Bytes())

	got := c.Box().List("")
	if len(got) != 1 {
		t.Fatalf("caught %d messages, want 1", len(got))
	}
	m := got[0]
	if m.Error != "" || m.Subject != "Grüße — your password was changed ✓" || m.From != "Metriqs Sécurité <account@metriqs.localhost>" || m.To != "<ada@example.com>" {
		t.Fatalf("headers: error=%q subject=%q from=%q to=%q", m.Error, m.Subject, m.From, m.To)
	}
	if !strings.Contains(m.Text, "Hello Ada,\nreset here") || !strings.Contains(m.HTML, "<b>Ada</b>") {
		t.Fatalf("parts: text=%q html=%q", m.Text, m.HTML)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "visits é.csv" || m.Attachments[0].ContentType != "text/csv" || !bytes.Equal(m.Attachments[0].Data, csv) {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	wantLinks := []string{"http://localhost:3000/settings/security?a=1&b=2", "http://localhost:3000/reset-password#t=abc"}
	if fmt.Sprint(m.Links) != fmt.Sprint(wantLinks) {
		t.Fatalf("links = %q, want %q", m.Links, wantLinks)
	}
	if m.EnvelopeFrom != "bounce@metriqs.localhost" || fmt.Sprint(m.Recipients) != "[ada@example.com hidden@example.com]" {
		t.Fatalf("envelope: %q %q", m.EnvelopeFrom, m.Recipients)
	}
	if len(c.Box().List("HIDDEN@example.com")) != 1 || len(c.Box().List("ada@example.com")) != 1 || len(c.Box().List("eve@example.com")) != 0 {
		t.Fatal("List(to) does not filter by envelope recipient and To, without case")
	}
}

// What other mail programs send: Latin-1 quoted-printable text, a base64 HTML part nested in
// multipart/related, RFC 2047 in ISO-8859-1 and an RFC 2231 file name.
func TestParsesCharsetsAndTransferEncodings(t *testing.T) {
	raw := "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\n" +
		"To: ada@example.com\r\n" +
		"Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?4pyT?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Caf=E9 au lait, a long line that is soft-=\r\nwrapped.\r\n" +
		"--inner\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"PHA+Q2Fmw6k8L3A+\r\n" +
		"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n" +
		"--rel--\r\n--inner--\r\n" +
		"--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n" +
		"--outer--\r\n"
	m := Parse([]byte(raw))
	if m.Error != "" || m.From != "André <andre@example.com>" || m.Subject != "Café✓" {
		t.Fatalf("headers: error=%q from=%q subject=%q", m.Error, m.From, m.Subject)
	}
	if m.Text != "Café au lait, a long line that is soft-wrapped." || m.HTML != "<p>Café</p>" {
		t.Fatalf("text=%q html=%q", m.Text, m.HTML)
	}
	if len(m.Attachments) != 2 || m.Attachments[0].ContentID != "logo@x" || string(m.Attachments[0].Data) != "\x89PNG" ||
		m.Attachments[1].Name != "résumé.pdf" || string(m.Attachments[1].Data) != "%PDF" {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
}

// A message the parser cannot read is kept with the reason, not dropped.
func TestKeepsUnparsableMail(t *testing.T) {
	m := Parse([]byte("Subject: broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"))
	if m.Subject != "broken" || !strings.Contains(m.Error, "boundary") {
		t.Fatalf("subject=%q error=%q", m.Subject, m.Error)
	}
	if m := Parse([]byte("not a header line\r\n")); m.Error == "" || m.Text == "" {
		t.Fatalf("headerless message: error=%q text=%q", m.Error, m.Text)
	}
}

// The mailbox is bounded: the oldest go first, and ids are never reused after a clear.
func TestBoxKeepsTheNewest(t *testing.T) {
	b := NewBox(3)
	for i := 1; i <= 5; i++ {
		b.Add(Message{Subject: fmt.Sprint(i)})
	}
	var got []string
	for _, m := range b.List("") {
		got = append(got, m.ID+"="+m.Subject)
	}
	if fmt.Sprint(got) != "[5=5 4=4 3=3]" {
		t.Fatalf("list = %v, want the newest three, newest first", got)
	}
	if _, ok := b.Get("2"); ok {
		t.Fatal("message 2 should have been dropped")
	}
	b.Clear()
	if len(b.List("")) != 0 || b.Add(Message{}).ID != "6" {
		t.Fatal("clear must empty the box and keep counting ids")
	}
}

// Parallel SMTP sessions each land once, with distinct ids.
func TestParallelSessions(t *testing.T) {
	c := start(t, 0)
	const n = 20
	var wg sync.WaitGroup
	release := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-release
			raw := fmt.Sprintf("To: p%d@example.com\r\nSubject: m%d\r\n\r\nbody\r\n", i, i)
			if err := smtp.SendMail(c.Addr(), nil, "a@example.com", []string{fmt.Sprintf("p%d@example.com", i)}, []byte(raw)); err != nil {
				t.Error(err)
			}
		})
	}
	close(release)
	wg.Wait()
	ids := map[string]bool{}
	for _, m := range c.Box().List("") {
		ids[m.ID] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct messages caught, want %d", len(ids), n)
	}
}
