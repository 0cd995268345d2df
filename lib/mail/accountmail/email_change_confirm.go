package accountmail

import "github.com/trymetriqs/metriqs/lib/mail"

func init() {
	mail.Register("email_change_confirm", linkMail([]string{"url", "new_email"}, emailChangeConfirm))
}

// emailChangeConfirm is the link, sent to the NEW address, that applies a change of address
// (lib/account emailchange.go). Data: url, new_email.
func emailChangeConfirm(d map[string]string) (string, mail.Body) {
	return "Confirm your new e-mail address for Metriqs", mail.Body{
		Heading: "Confirm your new e-mail address",
		Paragraphs: []string{
			"Your Metriqs account asked to use " + d["new_email"] + " from now on. Confirm it with the button below; until then the old address stays.",
			"The link works once and expires in 1 hour. If you did not ask for this, ignore this e-mail.",
		},
		Button: &mail.Link{Label: "Use this address"},
		Footer: "You received this because this address was entered as the new address of a Metriqs account.",
	}
}
