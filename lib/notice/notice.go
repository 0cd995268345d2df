// Package notice tells a user by e-mail what happened to their account: the security notices
// of ASVS 5.0 6.3.7 / 7.2.4 (password changed or reset, 2FA on or off, recovery codes renewed
// or used, a sign-in from a new device, deletion requested) and the health of their
// integrations (a connection needs reconnecting, it works again).
//
// A notice is only queued here (lib/mail.Enqueue); the send-email job renders it with the
// kinds of lib/mail/accountmail. The package links no SMTP or template code, so the many
// functions that import lib/account stay small (docs/performance.md).
package notice

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Security events a notice can be about: the "event" of a security_notice message. Add,
// never rename: queued messages carry them.
const (
	PasswordChanged      = "password_changed"
	PasswordReset        = "password_reset"
	TOTPEnabled          = "totp_enabled"
	TOTPDisabled         = "totp_disabled"
	RecoveryCodesRenewed = "recovery_codes_regenerated"
	RecoveryCodeUsed     = "recovery_code_used"
	NewDevice            = "new_device_sign_in"
	DeletionRequested    = "account_deletion_requested"
)

// Mail kinds this package queues (rendered by lib/mail/accountmail).
const (
	KindSecurity      = "security_notice"
	KindNeedsReauth   = "connection_needs_reauth"
	KindRestored      = "connection_restored"
	securityPath      = "/app/settings#security"
	integrationsPath  = "/app/integrations"
	maxOccurrenceSize = 64
)

// Security is one security event to tell the account's owner about.
type Security struct {
	// Event is one of the constants above.
	Event string
	// ID names this occurrence of the event, so that a retried request or a second call
	// never mails twice: the same (user, Event, ID) is one message. Derive it from what the
	// event changed (the new password hash, the session id, the deletion time...).
	ID string
	// At is when it happened; Client who did it (IP and User-Agent of the request).
	At     time.Time
	Client web.Client
	// Extra are the event's own values: "remaining" (recovery codes left), "purge_by"
	// (RFC 3339, when a closed account is purged).
	Extra map[string]string
}

// Service queues notices.
type Service struct {
	enqueue func(context.Context, mail.Message) error
	appURL  string
}

// New returns a Service that queues with enqueue (mail.Enqueue or a Service's) and links
// to appURL (APP_URL, no trailing slash).
func New(enqueue func(context.Context, mail.Message) error, appURL string) *Service {
	return &Service{enqueue: enqueue, appURL: strings.TrimRight(appURL, "/")}
}

var instance = lazy.New(func() (*Service, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("notice: configuration: %w", err)
	}
	return New(mail.Enqueue, cfg.AppURL), nil
})

// Default is the function instance's Service, built on first use.
func Default() (*Service, error) { return instance.Get() }

// NotifySecurity queues the security notice n to the address to of the user with Default.
func NotifySecurity(ctx context.Context, userID, to string, n Security) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.Security(ctx, userID, to, n)
}

// Security queues the security notice n to to, the address of the account userID. The
// message's Key is "notice:" + Event + ":" + ID.
func (s *Service) Security(ctx context.Context, userID, to string, n Security) error {
	if n.Event == "" || n.ID == "" || len(n.ID) > maxOccurrenceSize {
		return fmt.Errorf("notice: %q needs an event and an occurrence id of at most %d bytes", n.Event, maxOccurrenceSize)
	}
	data := map[string]string{
		"event": n.Event, "time": n.At.UTC().Format(time.RFC3339), "ip": n.Client.IP,
		"device": device.Describe(n.Client.UserAgent), "url": s.appURL + securityPath,
	}
	for k, v := range n.Extra {
		data[k] = v
	}
	m := mail.Message{Key: "notice:" + n.Event + ":" + n.ID, UserID: userID, To: to, From: mail.FromAccount, Kind: KindSecurity, Data: data}
	if err := s.enqueue(ctx, m); err != nil {
		return fmt.Errorf("notice: queue %s for %s: %w", n.Event, userID, err)
	}
	return nil
}

// Logged is for callers whose change has already committed: the notice is owed, but failing
// the request now would make the user repeat a change that happened. The error is logged
// (with the user and event) and the request goes on.
func Logged(err error) {
	if err != nil {
		slog.Error("notice: could not queue a notice", "err", err)
	}
}
