package submit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
)

// IdempotencyHeader is the header Resend deduplicates SMTP submissions on, for 24 hours
// (resend.com/docs/dashboard/emails/idempotency-keys). Other providers ignore it; all of
// them see the same Message-ID on every attempt (docs/mail.md).
const IdempotencyHeader = "Resend-Idempotency-Key"

// build turns o into a go-mail message: text part first, HTML as its alternative, then the
// attachments; go-mail encodes a non-ASCII subject as an RFC 2047 UTF-8 word.
func build(o mail.Outgoing) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(o.From); err != nil {
		// The sender comes from configuration: a retry after the operator fixes it succeeds.
		return nil, fmt.Errorf("submit: From %q: %w", o.From, err)
	}
	if err := m.To(o.To); err != nil {
		return nil, jobs.Permanent(fmt.Errorf("submit: To %q: %w", o.To, err))
	}
	m.Subject(o.Subject)
	m.SetMessageIDWithValue(strings.Trim(o.MessageID, "<>"))
	m.SetDateWithValue(o.Date)
	m.SetGenHeader(IdempotencyHeader, o.IdempotencyKey)
	// RFC 3834: machine-sent; auto-responders must not answer it.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	for k, v := range o.Headers {
		m.SetGenHeader(gomail.Header(k), v)
	}
	m.SetBodyString(gomail.TypeTextPlain, o.Text)
	if o.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, o.HTML)
	}
	for _, a := range o.Attachments {
		m.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
	}
	return m, nil
}

// classify tells lib/mail what a failed send means. A 5xx refusal of the recipient or the
// message (RCPT TO, DATA, end of DATA) is a bounce, final. Everything else is temporary: a
// 4xx, no connection, a timeout, and also a 5xx to AUTH or MAIL FROM, which say our
// credentials or sender are wrong (not the user's address), and which the operator can fix
// before QStash's last retry.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		switch se.Reason {
		case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return &mail.Refusal{Code: se.ErrorCode(), Reply: reply(se)}
		}
	}
	return fmt.Errorf("submit: %w", err)
}

// reply is the server's own words, without go-mail's framing.
func reply(se *gomail.SendError) string {
	if u := errors.Unwrap(se); u != nil {
		return u.Error()
	}
	return se.Error()
}

// heloName is the domain the client names itself by: the sender's, which its SPF record
// covers, rather than the function host's name.
func heloName(from string) string {
	d := from[strings.LastIndexByte(from, '@')+1:]
	return strings.TrimSuffix(strings.TrimSpace(d), ">")
}
