package accountmail

import (
	"context"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
)

// need refuses a message missing a value its renderer shows: better no e-mail than one with a
// blank link or time.
func needData(m mail.Message, keys ...string) error {
	for _, k := range keys {
		if m.Data[k] == "" {
			return fmt.Errorf("accountmail: %s message %q has no %q", m.Kind, m.Key, k)
		}
	}
	return nil
}

// linkMail renders a mail that leads to one link, Data["url"] (a token link, Settings): words
// gives its subject and body from the message's values once every key in needs is there. The
// kinds differ in their words and the values they show only.
func linkMail(needs []string, words func(d map[string]string) (subject string, b mail.Body)) mail.Renderer {
	return func(_ context.Context, m mail.Message) (mail.Content, error) {
		if err := needData(m, needs...); err != nil {
			return mail.Content{}, err
		}
		subject, b := words(m.Data)
		b.Button.URL = m.Data["url"]
		return b.Render(subject), nil
	}
}
