package accountmail

import (
	"context"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() { mail.Register("connection_restored", renderRestored) }

// renderRestored tells that an integration that needed reconnecting works again.
func renderRestored(_ context.Context, m mail.Message) (mail.Content, error) {
	name := m.Data["provider"]
	if name == "" {
		return mail.Content{}, fmt.Errorf("accountmail: connection notice without a provider")
	}
	b := mail.Body{
		Heading:    name + " works again",
		Paragraphs: []string{"Your " + name + " connection is working again: reports and schedules include its data from now on."},
		Button:     &mail.Link{Label: "See your integrations", URL: m.Data["url"]},
		Footer:     "You get this e-mail because " + name + " is connected to your Metriqs account.",
	}
	return b.Render(name + " is connected again"), nil
}
