package accountmail

import (
	"context"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("password_reset", passwordReset) }

// passwordReset renders a reset link (lib/account reset.go). Data: url, expires_minutes. It
// says what to do when the reader did not ask: nothing, which is the safe default.
func passwordReset(_ context.Context, m mail.Message) (mail.Content, error) {
	if err := needData(m, "url", "expires_minutes"); err != nil {
		return mail.Content{}, err
	}
	return mail.Body{
		Heading: "Reset your Metriqs password",
		Paragraphs: []string{
			"Someone asked to reset the password of the Metriqs account with this address. If it was you, choose a new password with the button below.",
			"The link works once and expires in " + m.Data["expires_minutes"] + " minutes. With two-factor authentication on, you will also need a code from your authenticator app or a recovery code.",
			"If you did not ask, ignore this e-mail: your password stays as it is.",
		},
		Button: &mail.Link{Label: "Choose a new password", URL: m.Data["url"]},
		Footer: "You received this because a password reset was requested for your Metriqs account.",
	}.Render("Reset your Metriqs password"), nil
}
