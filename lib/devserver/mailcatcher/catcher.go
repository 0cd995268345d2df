// Package mailcatcher is the local server's mail catcher: an SMTP server on 127.0.0.1
// (github.com/emersion/go-smtp) that accepts every message without authentication, keeps the
// last few hundred in memory, parsed, and shows them on the mailbox page at /_dev/mail, like
// the Mailpit of Supabase's local stack. It exists only for `go run ./cmd/dev` and the tests:
// lib/routes' TestFunctionImports fails when a function links it or go-smtp.
package mailcatcher

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// DefaultLimit is how many messages the catcher keeps; older ones are dropped.
const DefaultLimit = 500

// maxMessageBytes refuses a message larger than any the product sends (a report with its
// CSV), so a runaway loop cannot fill the machine's memory.
const maxMessageBytes = 10 << 20

// Catcher is a running SMTP catcher and its mailbox.
type Catcher struct {
	box     *Box
	srv     *smtp.Server
	addr    string
	refused refusals
}

// Start listens on addr ("127.0.0.1:0" for a free port) and keeps the newest limit messages
// (DefaultLimit when limit ≤ 0). The caller closes it.
func Start(addr string, limit int) (*Catcher, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailcatcher: listen on %s: %w", addr, err)
	}
	c := &Catcher{box: NewBox(limit), addr: ln.Addr().String()}
	c.srv = newServer(c.box, &c.refused)
	go c.srv.Serve(ln)
	return c, nil
}

// newServer accepts mail for any address but the refused ones, over plain SMTP: the catcher
// is local, and the mail path speaks plain, unauthenticated SMTP only in development
// (lib/config).
func newServer(box *Box, refused *refusals) *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{box: box, refused: refused}, nil
	}))
	s.Domain = "mailcatcher.localhost"
	s.MaxMessageBytes = maxMessageBytes
	s.MaxRecipients = 100
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.EnableSMTPUTF8 = true
	s.ErrorLog = log.New(io.Discard, "", 0)
	return s
}

// Addr is the host:port the catcher listens on.
func (c *Catcher) Addr() string { return c.addr }

// SMTPURL is the SMTP_URL that makes the functions send here.
func (c *Catcher) SMTPURL() string { return "smtp://" + c.addr }

// Box is the catcher's mailbox.
func (c *Catcher) Box() *Box { return c.box }

// Close stops accepting mail; the messages are dropped with the process.
func (c *Catcher) Close() error {
	if err := c.srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("mailcatcher: close: %w", err)
	}
	return nil
}

// session is one SMTP conversation: envelope sender and recipients, then the data.
type session struct {
	box     *Box
	refused *refusals
	from    string
	rcpt    []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.refused.check(to); err != nil {
		return err
	}
	s.rcpt = append(s.rcpt, to)
	return nil
}

// Data stores the message parsed. A message the parser cannot read is still kept, with the
// error, so the developer sees what was sent instead of a silent loss.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("mailcatcher: read message: %w", err)
	}
	m := Parse(raw)
	m.EnvelopeFrom, m.Recipients = s.from, append([]string(nil), s.rcpt...)
	s.box.Add(m)
	return nil
}

func (s *session) Reset()        { s.from, s.rcpt = "", nil }
func (s *session) Logout() error { return nil }
