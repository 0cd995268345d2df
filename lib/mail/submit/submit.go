// Package submit is the mail path's SMTP transport: it builds the MIME message with go-mail
// (multipart/alternative text + HTML, attachments, RFC 5322 headers, UTF-8 subjects) and
// submits it over implicit TLS (smtps://, port 465) or STARTTLS (smtp://, port 587), with AUTH.
//
// Only api/jobs/send-email links this package: go-mail and its MIME code stay out of every
// user-facing function, which only calls mail.Enqueue (docs/performance.md).
package submit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/mail"
)

// DefaultTimeout bounds the connection and each SMTP command. A server slower than this is
// "temporarily unavailable": the job retries later. It stays well inside mail.ClaimLease.
const DefaultTimeout = 20 * time.Second

// Settings say how to reach the SMTP server.
type Settings struct {
	// URL is smtps://user:pass@host:465 or smtp://user:pass@host:587 (config.CheckSMTPURL).
	URL string
	// Secure makes STARTTLS mandatory on smtp:// and AUTH required: always so outside
	// development. Only the local catcher is spoken to without it.
	Secure bool
	// RootCAs, when set, are the only roots a server certificate may chain to: a test's
	// throwaway CA. Verification is never skipped; nil means the system's roots.
	RootCAs *x509.CertPool
	// Timeout overrides DefaultTimeout when non-zero.
	Timeout time.Duration
}

// Transport submits messages to one SMTP server. It implements mail.Transport.
type Transport struct {
	opts []gomail.Option
	host string
}

// New checks s and prepares a Transport; nothing touches the network here.
func New(s Settings) (*Transport, error) {
	if problem := config.CheckSMTPURL(s.URL, !s.Secure); problem != "" {
		return nil, errors.New("submit: " + problem)
	}
	u, _ := url.Parse(s.URL)
	port, err := portOf(u)
	if err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts := []gomail.Option{
		gomail.WithPort(port), gomail.WithTimeout(timeout),
		// The security page promises TLS 1.2 or higher in transit; go-mail's default agrees
		// today, this keeps it so.
		gomail.WithTLSConfig(&tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}),
	}
	opts = append(opts, tlsOption(u.Scheme, s.Secure))
	opts = append(opts, authOptions(u)...)
	return &Transport{opts: opts, host: u.Hostname()}, nil
}

// tlsOption: smtps is TLS from the first byte; smtp upgrades with STARTTLS, which a secure
// transport demands (a server or a man in the middle that drops it ends the send) and the
// development catcher may lack.
func tlsOption(scheme string, secure bool) gomail.Option {
	switch {
	case scheme == "smtps":
		return gomail.WithSSL()
	case secure:
		return gomail.WithTLSPolicy(gomail.TLSMandatory)
	default:
		return gomail.WithTLSPolicy(gomail.TLSOpportunistic)
	}
}

// authOptions authenticate with the URL's user and password, with the strongest mechanism
// the server offers (go-mail never sends PLAIN or LOGIN over an unencrypted connection).
func authOptions(u *url.URL) []gomail.Option {
	if u.User == nil || u.User.Username() == "" {
		return nil
	}
	pw, _ := u.User.Password()
	return []gomail.Option{gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw)}
}

func portOf(u *url.URL) (int, error) {
	if u.Port() == "" {
		if u.Scheme == "smtps" {
			return 465, nil
		}
		return 587, nil
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("submit: bad port in SMTP_URL: %q", u.Port())
	}
	return port, nil
}

// Send submits o on a connection of its own (a function instance sends one message per
// delivery, so there is nothing to pool) and returns the server's answer to the message.
func (t *Transport) Send(ctx context.Context, o mail.Outgoing) (mail.Receipt, error) {
	msg, err := build(o)
	if err != nil {
		return mail.Receipt{}, err
	}
	c, err := gomail.NewClient(t.host, append(t.opts, gomail.WithHELO(heloName(o.From)))...)
	if err != nil {
		return mail.Receipt{}, fmt.Errorf("submit: client: %w", err)
	}
	err = c.DialAndSendWithContext(ctx, msg)
	return mail.Receipt{Reply: msg.ServerResponse()}, classify(err)
}
