package accountmail

import (
	"context"
	"fmt"
	"time"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("security_notice", renderSecurityNotice) }

// securityEvent is what a security notice says about one event (lib/notice's constants).
type securityEvent struct {
	subject, heading, what string
}

// securityEvents: the event names are lib/notice's; an unknown one is refused (the message
// fails) rather than sent as a vague "something happened".
var securityEvents = map[string]securityEvent{
	"password_changed":           {"Your Metriqs password was changed", "Your password was changed", "The password of your Metriqs account was changed, and every other session was signed out."},
	"password_reset":             {"Your Metriqs password was reset", "Your password was reset", "The password of your Metriqs account was reset with a link sent to this address, and every session was signed out."},
	"totp_enabled":               {"Two-factor authentication is on", "Two-factor authentication was turned on", "Signing in to your Metriqs account now needs a code from your authenticator app."},
	"totp_disabled":              {"Two-factor authentication is off", "Two-factor authentication was turned off", "Signing in to your Metriqs account no longer needs a code from an authenticator app."},
	"recovery_codes_regenerated": {"New recovery codes were made", "New recovery codes were made", "New recovery codes were made for your Metriqs account; the old ones no longer work."},
	"recovery_code_used":         {"A recovery code was used", "A recovery code was used", "A recovery code was used to sign in to your Metriqs account or confirm a change."},
	"new_device_sign_in":         {"New sign-in to your Metriqs account", "New sign-in from a device you have not used", "Your Metriqs account was signed in to from a device or browser it has not been used with before."},
	"account_deletion_requested": {"Your Metriqs account is being deleted", "Your account is being deleted", "Your Metriqs account was closed at your request: no one can sign in to it any more."},
}

// renderSecurityNotice renders a lib/notice security notice: what happened, when (UTC), from
// which IP address and device, and a link to Settings › Security.
func renderSecurityNotice(_ context.Context, m mail.Message) (mail.Content, error) {
	ev, ok := securityEvents[m.Data["event"]]
	if !ok {
		return mail.Content{}, fmt.Errorf("accountmail: unknown security event %q", m.Data["event"])
	}
	at, err := time.Parse(time.RFC3339, m.Data["time"])
	if err != nil {
		return mail.Content{}, fmt.Errorf("accountmail: security notice time %q: %w", m.Data["time"], err)
	}
	b := mail.Body{
		Heading:    ev.heading,
		Paragraphs: append([]string{ev.what}, extraLines(m.Data)...),
		Details:    [][2]string{{"Time", utc(at)}, {"IP address", orUnknown(m.Data["ip"])}, {"Device", orUnknown(m.Data["device"])}},
		Footer:     "You get this e-mail because it is about the security of your Metriqs account. It cannot be turned off.",
	}
	b.Paragraphs = append(b.Paragraphs, "If this was you, there is nothing to do. If it was not, change your password now and review your sessions.")
	if m.Data["event"] != "account_deletion_requested" {
		b.Button = &mail.Link{Label: "Review security settings", URL: m.Data["url"]}
	}
	return b.Render(ev.subject), nil
}

// extraLines are what some events add: the recovery codes left, the purge date.
func extraLines(data map[string]string) []string {
	var lines []string
	if n, ok := data["remaining"]; ok {
		lines = append(lines, "Recovery codes left: "+n+". Each code works once; make new ones in Settings before you run out.")
	}
	if by, err := time.Parse(time.RFC3339, data["purge_by"]); err == nil {
		lines = append(lines, "Everything stored for it is permanently removed by "+utc(by)+". If you did not ask for this, contact Metriqs support at once.")
	}
	return lines
}

// utc writes a time in UTC and says so: the reader's zone is unknown here.
func utc(t time.Time) string { return t.UTC().Format("Monday 2 January 2006, 15:04 MST") }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
