// Package mail is how Metriqs sends e-mail: Enqueue stores a message under its user and
// publishes the send-email job; the job (Deliver) renders it with the renderer registered for
// its kind and hands it to a Transport (lib/mail/submit: SMTP submission), at most once per
// (UserID, Key) however often QStash delivers. No request ever waits on an SMTP server.
//
// The package links no SMTP or MIME library: user-facing functions import it to Enqueue, and
// only api/jobs/send-email links the transport (docs/performance.md).
package mail

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Sender picks the From address: account mail (MAIL_FROM_ACCOUNT) or report mail
// (MAIL_FROM_REPORTS). Two senders keep the reputation of password resets apart from that
// of bulk-ish reports, as Gmail's sender guidelines ask (docs/mail.md).
type Sender string

// The two senders.
const (
	FromAccount Sender = "account"
	FromReports Sender = "reports"
)

// Message is one logical e-mail. Enqueue stores it and publishes the send-email job; the job
// renders and sends it at most once per (UserID, Key), however often QStash delivers.
type Message struct {
	// Key is the idempotency key of the logical message, unique per user, e.g. "verify:" +
	// the first 16 hex of the token hash, "notice:password_changed:" + event id.
	Key string
	// UserID is the account the message belongs to (key index, purge, export); required.
	UserID string
	// To is one address, already normalized by lib/identity; CR/LF refused.
	To   string
	From Sender
	// Kind names a renderer registered with Register.
	Kind string
	// Data are the renderer's values (links, time, ip, device, counts...).
	Data map[string]string
}

// Content is a rendered message.
type Content struct {
	Subject string
	Text    string // plain-text part
	HTML    string // HTML part (inline styles, no scripts, no remote images)
	// Headers are extra headers, e.g. List-Unsubscribe (report mail).
	Headers     map[string]string
	Attachments []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Record is what the user's mail history says about one message (export, settings page).
type Record struct {
	Key, Kind, To, Status string
	QueuedAt, SentAt      time.Time
	Error                 string
}

// Statuses of a Record.
const (
	StatusQueued  = "queued"  // waiting for (or between attempts of) the send-email job
	StatusSending = "sending" // a delivery holds the claim and is talking to the SMTP server
	StatusSent    = "sent"    // the SMTP server accepted it
	StatusBounced = "bounced" // the SMTP server refused the recipient permanently (5xx)
	StatusFailed  = "failed"  // it can never be sent (unknown kind, a renderer refused it)
)

// BounceInfo is the status of a user's address as the mail path saw it: set when the SMTP
// server refused the address permanently.
type BounceInfo struct {
	Address, Reason string
	At              time.Time
}

// Limits of a Message. Data travels in Redis until the job runs; it has no business being big.
const (
	maxKeyLen     = 200
	maxAddressLen = 254 // RFC 5321 §4.5.3.1.3 path limit
	maxDataBytes  = 16 << 10
)

var (
	keyPattern  = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)
	kindPattern = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)
)

// ErrInvalidMessage is wrapped by every refusal of Validate: a programming error of the
// caller (or hostile input that got past it), answered as a 400 by the API if it surfaces.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Validate refuses a message that could not be stored or sent safely. CR, LF and NUL are
// refused in every value that can reach a header (To, Key, Kind), which is what header
// injection needs (CWE-93); To must be one bare address.
func (m Message) Validate() error {
	switch {
	case !keyPattern.MatchString(m.UserID) || len(m.UserID) > maxKeyLen:
		return invalid("user id", m.UserID)
	case !keyPattern.MatchString(m.Key):
		return invalid("key", m.Key)
	case !kindPattern.MatchString(m.Kind):
		return invalid("kind", m.Kind)
	case m.From != FromAccount && m.From != FromReports:
		return invalid("sender", string(m.From))
	}
	if err := CheckAddress(m.To); err != nil {
		return err
	}
	return checkData(m.Data)
}

// CheckAddress accepts one bare address (local@domain): no display name, no list, no
// control or space characters, so nothing in it can become a second recipient or a header.
func CheckAddress(addr string) error {
	at := strings.LastIndexByte(addr, '@')
	if addr == "" || len(addr) > maxAddressLen || at < 1 || at == len(addr)-1 || hasUnsafe(addr) ||
		strings.ContainsAny(addr, " ,;<>()[]\\\"") {
		return invalid("address", addr)
	}
	return nil
}

func checkData(data map[string]string) error {
	size := 0
	for k, v := range data {
		size += len(k) + len(v)
		if k == "" || strings.ContainsRune(k, 0) || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: data %q holds a NUL", ErrInvalidMessage, k)
		}
	}
	if size > maxDataBytes {
		return fmt.Errorf("%w: data is %d bytes (at most %d)", ErrInvalidMessage, size, maxDataBytes)
	}
	return nil
}

// checkContent refuses rendered content that would break out of its headers: a renderer
// put a value with CR, LF or NUL into the subject, a header or an attachment's name.
func checkContent(c Content) error {
	if c.Subject == "" || hasUnsafe(c.Subject) {
		return fmt.Errorf("%w: subject %q", ErrInvalidMessage, c.Subject)
	}
	if c.Text == "" {
		return fmt.Errorf("%w: no text part", ErrInvalidMessage)
	}
	for k, v := range c.Headers {
		if !headerName.MatchString(k) || hasUnsafe(v) {
			return fmt.Errorf("%w: header %q", ErrInvalidMessage, k)
		}
	}
	for _, a := range c.Attachments {
		if a.Name == "" || hasUnsafe(a.Name) || hasUnsafe(a.ContentType) || strings.ContainsAny(a.Name, "/\\\"") {
			return fmt.Errorf("%w: attachment %q", ErrInvalidMessage, a.Name)
		}
	}
	return nil
}

// headerName is RFC 5322 §3.6.8's field name (printable ASCII but the colon), kept to the
// letters, digits and dashes real headers use.
var headerName = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)

// hasUnsafe reports a C0 control character (CR, LF, NUL, tab...) or DEL in s.
func hasUnsafe(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

func invalid(what, value string) error {
	return fmt.Errorf("%w: bad %s %q", ErrInvalidMessage, what, value)
}

// asProblem turns a refused message into the API's 400, naming what was refused.
func asProblem(err error) error {
	if errors.Is(err, ErrInvalidMessage) {
		p := problem.Invalid("email", "This e-mail cannot be sent: "+strings.TrimPrefix(err.Error(), "mail: invalid message: ")+".")
		p.Cause = err
		return p
	}
	return err
}
