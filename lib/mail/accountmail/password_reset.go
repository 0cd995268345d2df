package accountmail

import "github.com/trymetriqs/metriqs/lib/mail"

func init() {
	mail.Register("password_reset", linkMail([]string{"url", "expires_minutes"}, passwordReset))
}

// passwordReset is a reset link (lib/account reset.go). Data: url, expires_minutes. It says
// what to do when the reader did not ask: nothing, which is the safe default.
func passwordReset(d map[string]string) (string, mail.Body) {
	return "Reset your Metriqs password", mail.Body{
		Heading: "Reset your Metriqs password",
		Paragraphs: []string{
			"Someone asked to reset the password of the Metriqs account with this address. If it was you, choose a new password with the button below.",
			"The link works once and expires in " + d["expires_minutes"] + " minutes. With two-factor authentication on, you will also need a code from your authenticator app or a recovery code.",
			"If you did not ask, ignore this e-mail: your password stays as it is.",
		},
		Button: &mail.Link{Label: "Choose a new password"},
		Footer: "You received this because a password reset was requested for your Metriqs account.",
	}
}
