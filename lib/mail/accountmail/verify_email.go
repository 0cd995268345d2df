package accountmail

import (
	"context"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("verify_email", verifyEmail) }

// verifyEmail renders an address-verification link (lib/account verify.go). Data: url.
func verifyEmail(_ context.Context, m mail.Message) (mail.Content, error) {
	if err := needData(m, "url"); err != nil {
		return mail.Content{}, err
	}
	return mail.Body{
		Heading: "Confirm your e-mail address",
		Paragraphs: []string{
			"Confirm that this address belongs to your Metriqs account, so that password resets and reports reach you.",
			"The link works once and expires in 24 hours.",
			"If you did not create a Metriqs account, ignore this e-mail.",
		},
		Button: &mail.Link{Label: "Confirm my address", URL: m.Data["url"]},
		Footer: "You received this because this address was used for a Metriqs account.",
	}.Render("Confirm your e-mail address for Metriqs"), nil
}
