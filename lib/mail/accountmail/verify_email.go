package accountmail

import "github.com/trymetriqs/metriqs/lib/mail"

func init() { mail.Register("verify_email", linkMail([]string{"url"}, verifyEmail)) }

// verifyEmail is an address-verification link (lib/account verify.go). Data: url.
func verifyEmail(map[string]string) (string, mail.Body) {
	return "Confirm your e-mail address for Metriqs", mail.Body{
		Heading: "Confirm your e-mail address",
		Paragraphs: []string{
			"Confirm that this address belongs to your Metriqs account, so that password resets and reports reach you.",
			"The link works once and expires in 24 hours.",
			"If you did not create a Metriqs account, ignore this e-mail.",
		},
		Button: &mail.Link{Label: "Confirm my address"},
		Footer: "You received this because this address was used for a Metriqs account.",
	}
}
