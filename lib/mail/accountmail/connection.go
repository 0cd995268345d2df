package accountmail

import "github.com/trymetriqs/metriqs/lib/mail"

func init() {
	mail.Register("connection_needs_reauth", connectionNotice(needsReauth))
	mail.Register("connection_restored", connectionNotice(restored))
}

// connectionNotice renders a connection-health notice (lib/notice Connection; Data: provider,
// url) with what words says about the integration name. The two kinds differ in their words
// only: the button leads to the Integrations page, and the footer says why the mail came.
func connectionNotice(words func(name string) (subject string, b mail.Body)) mail.Renderer {
	return linkMail([]string{"provider"}, func(d map[string]string) (string, mail.Body) {
		subject, b := words(d["provider"])
		b.Footer = "You get this e-mail because " + d["provider"] + " is connected to your Metriqs account."
		return subject, b
	})
}

// needsReauth tells that an integration stopped working and must be reconnected: sent once
// per failure of a connection (lib/integration), not once per failed report.
func needsReauth(name string) (string, mail.Body) {
	return name + " needs to be reconnected", mail.Body{
		Heading: "Reconnect " + name,
		Paragraphs: []string{
			"Metriqs can no longer read your " + name + " data: access was revoked or has expired.",
			"Reports and schedules leave " + name + " out until you connect it again. This is the only e-mail about it; you hear from us again when it works.",
		},
		Button: &mail.Link{Label: "Reconnect " + name},
	}
}

// restored tells that an integration that needed reconnecting works again.
func restored(name string) (string, mail.Body) {
	return name + " is connected again", mail.Body{
		Heading:    name + " works again",
		Paragraphs: []string{"Your " + name + " connection is working again: reports and schedules include its data from now on."},
		Button:     &mail.Link{Label: "See your integrations"},
	}
}
