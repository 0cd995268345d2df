package submit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
)

func outgoing() mail.Outgoing {
	return mail.Outgoing{
		From: "Metriqs <account@mail.metriqs.test>", To: "ada@example.com",
		MessageID: "<0123456789abcdef0123456789abcdef@mail.metriqs.test>", IdempotencyKey: "0123456789abcdef0123456789abcdef",
		Date: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC),
		Content: mail.Content{
			Subject: "Grüße – bitte bestätigen", Text: "Hello Ada\n", HTML: "<p>Hello Ada</p>",
			Headers:     map[string]string{"List-Unsubscribe": "<https://app.metriqs.test/u>"},
			Attachments: []mail.Attachment{{Name: "report.csv", ContentType: "text/csv", Data: []byte("a,b\n1,2\n")}},
		},
	}
}

// Over STARTTLS with AUTH, the message arrives as RFC 5322 + MIME: the headers, the UTF-8
// subject, multipart/alternative text and HTML, the attachment.
func TestSendMIMEOverSTARTTLS(t *testing.T) {
	srv := newSMTPServer(t, true)
	tr, err := New(Settings{URL: "smtp://u:p@" + srv.addr, Secure: true, RootCAs: srv.pool})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tr.Send(context.Background(), outgoing())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rc.Reply, "queued") || !srv.authed {
		t.Fatalf("reply %q, authed %v", rc.Reply, srv.authed)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	checkMIME(t, msgs[0])
}

func checkMIME(t *testing.T, raw []byte) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	from, _ := m.Header.AddressList("From")
	if subject != "Grüße – bitte bestätigen" || len(from) != 1 || from[0].Address != "account@mail.metriqs.test" || m.Header.Get("To") != "<ada@example.com>" ||
		m.Header.Get("Message-Id") != "<0123456789abcdef0123456789abcdef@mail.metriqs.test>" || m.Header.Get(IdempotencyHeader) != "0123456789abcdef0123456789abcdef" ||
		m.Header.Get("Auto-Submitted") != "auto-generated" || m.Header.Get("List-Unsubscribe") != "<https://app.metriqs.test/u>" || !strings.HasPrefix(m.Header.Get("Date"), "Wed, 02 Dec 2026 12:00:00") {
		t.Fatalf("headers: %v (subject %q)", m.Header, subject)
	}
	parts := map[string]string{}
	walk(t, m.Header.Get("Content-Type"), m.Body, parts)
	if parts["text/plain"] != "Hello Ada\n" || parts["text/html"] != "<p>Hello Ada</p>" || parts["text/csv"] != "a,b\n1,2\n" || parts["alternative"] != "yes" {
		t.Fatalf("parts = %q", parts)
	}
}

// walk collects the decoded leaf parts of a MIME tree by media type.
func walk(t *testing.T, ctype string, body io.Reader, parts map[string]string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(body)
		parts[mt] = strings.ReplaceAll(string(b), "\r\n", "\n")
		return
	}
	if mt == "multipart/alternative" {
		parts["alternative"] = "yes"
	}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable; base64 below
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var rd io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			rd = base64Reader(p)
		}
		walk(t, p.Header.Get("Content-Type"), rd, parts)
	}
}

// Outside development a server that offers no STARTTLS gets nothing (no plaintext
// fallback, no credentials sent in the clear); in development the catcher may be plain.
func TestSecureRefusesPlaintext(t *testing.T) {
	srv := newSMTPServer(t, false)
	tr, err := New(Settings{URL: "smtp://u:p@" + srv.addr, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Send(context.Background(), outgoing()); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want STARTTLS required", err)
	}
	if len(srv.messages()) != 0 || srv.authed {
		t.Fatal("a message or the password went over plaintext")
	}
	if _, err := New(Settings{URL: "smtp://" + srv.addr, Secure: true}); err == nil {
		t.Fatal("a secure transport without AUTH was accepted")
	}
	dev, err := New(Settings{URL: "smtp://" + srv.addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Send(context.Background(), outgoing()); err != nil || len(srv.messages()) != 1 {
		t.Fatalf("development catcher: %v", err)
	}
}

// The certificate is verified: without the test's roots the send fails.
func TestVerifiesCertificate(t *testing.T) {
	srv := newSMTPServer(t, true)
	tr, err := New(Settings{URL: "smtp://u:p@" + srv.addr, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Send(context.Background(), outgoing()); err == nil || len(srv.messages()) != 0 {
		t.Fatalf("err = %v: an untrusted certificate was accepted", err)
	}
}

// 550 to RCPT is a mail.Refusal (a bounce, final); 450 and a server that does not answer are
// temporary: plain errors, retried.
func TestClassifiesFailures(t *testing.T) {
	srv := newSMTPServer(t, true)
	tr, err := New(Settings{URL: "smtp://u:p@" + srv.addr, Secure: true, RootCAs: srv.pool})
	if err != nil {
		t.Fatal(err)
	}
	srv.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	_, err = tr.Send(context.Background(), outgoing())
	var ref *mail.Refusal
	if !errors.As(err, &ref) || ref.Code != 550 || !strings.Contains(ref.Reply, "no such user") {
		t.Fatalf("550: err = %v, want a Refusal", err)
	}
	srv.rcptErr = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}
	if _, err = tr.Send(context.Background(), outgoing()); err == nil || errors.As(err, &ref) || jobs.IsPermanent(err) {
		t.Fatalf("450: err = %v, want temporary", err)
	}
	silent := silentServer(t)
	slow, _ := New(Settings{URL: "smtp://u:p@" + silent, Secure: true, Timeout: 300 * time.Millisecond})
	if _, err = slow.Send(context.Background(), outgoing()); err == nil || errors.As(err, &ref) {
		t.Fatalf("silent server: err = %v, want temporary", err)
	}
}
