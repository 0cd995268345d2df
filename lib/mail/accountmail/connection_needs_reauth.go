package accountmail

import (
	"context"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("connection_needs_reauth", renderNeedsReauth) }

// renderNeedsReauth tells that an integration stopped working and must be reconnected: sent
// once per failure of a connection (lib/integration), not once per failed report.
func renderNeedsReauth(_ context.Context, m mail.Message) (mail.Content, error) {
	name := m.Data["provider"]
	if name == "" {
		return mail.Content{}, fmt.Errorf("accountmail: connection notice without a provider")
	}
	b := mail.Body{
		Heading: "Reconnect " + name,
		Paragraphs: []string{
			"Metriqs can no longer read your " + name + " data: access was revoked or has expired.",
			"Reports and schedules leave " + name + " out until you connect it again. This is the only e-mail about it; you hear from us again when it works.",
		},
		Button: &mail.Link{Label: "Reconnect " + name, URL: m.Data["url"]},
		Footer: "You get this e-mail because " + name + " is connected to your Metriqs account.",
	}
	return b.Render(name + " needs to be reconnected"), nil
}
