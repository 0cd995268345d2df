package accountmail

import (
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
