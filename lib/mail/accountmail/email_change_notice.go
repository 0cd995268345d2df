package accountmail

import (
	"context"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("email_change_notice", emailChangeNotice) }

// emailChangeNotice tells the OLD address that a change away from it was asked for, with who
// asked, so a holder whose password was stolen hears of it while the old address still works
// (ASVS 5.0 6.3.7). Data: new_email, time, ip, device, url (Settings › Security).
func emailChangeNotice(_ context.Context, m mail.Message) (mail.Content, error) {
	if err := needData(m, "new_email", "time", "ip", "device", "url"); err != nil {
		return mail.Content{}, err
	}
	return mail.Body{
		Heading: "A change of your e-mail address was requested",
		Paragraphs: []string{
			"Someone signed in to your Metriqs account asked to change its address to " + m.Data["new_email"] + ". The change happens only when the link sent there is used.",
			"If this was not you, change your password now and sign out every other session in Settings › Security.",
		},
		Button:  &mail.Link{Label: "Review security settings", URL: m.Data["url"]},
		Details: [][2]string{{"Time (UTC)", m.Data["time"]}, {"IP address", m.Data["ip"]}, {"Device", m.Data["device"]}},
		Footer:  "You received this because it is the current address of your Metriqs account.",
	}.Render("Your Metriqs e-mail address is being changed"), nil
}
