package accountmail

import "github.com/trymetriqs/metriqs/lib/mail"

func init() {
	mail.Register("email_change_notice", linkMail([]string{"new_email", "time", "ip", "device", "url"}, emailChangeNotice))
}

// emailChangeNotice tells the OLD address that a change away from it was asked for, with who
// asked, so a holder whose password was stolen hears of it while the old address still works
// (ASVS 5.0 6.3.7). Data: new_email, time, ip, device, url (Settings › Security).
func emailChangeNotice(d map[string]string) (string, mail.Body) {
	return "Your Metriqs e-mail address is being changed", mail.Body{
		Heading: "A change of your e-mail address was requested",
		Paragraphs: []string{
			"Someone signed in to your Metriqs account asked to change its address to " + d["new_email"] + ". The change happens only when the link sent there is used.",
			"If this was not you, change your password now and sign out every other session in Settings › Security.",
		},
		Button:  &mail.Link{Label: "Review security settings"},
		Details: [][2]string{{"Time (UTC)", d["time"]}, {"IP address", d["ip"]}, {"Device", d["device"]}},
		Footer:  "You received this because it is the current address of your Metriqs account.",
	}
}
