// Package mailwebhook is the mail provider's webhook function, in a directory of its own so
// that no other function links lib/mail/bouncehook.
package mailwebhook

import (
	"io"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/mail/bouncehook"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/web"
)

// maxEvent bounds a delivery's body: a bounce event is a few kilobytes.
const maxEvent = 256 << 10

// HandleWebhook serves POST /api/mail/webhook, called by the mail provider (Resend, signed as
// Standard Webhooks): a permanent bounce reported after the SMTP 250 marks the address
// bounced. 200 {} once applied or known; 400 invalid_signature, nothing changed.
func HandleWebhook(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: receive})
}

func receive(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEvent))
	if err != nil {
		return problem.Invalid("body", "The webhook body is unreadable or larger than 256 KiB.")
	}
	h, err := bouncehook.Default()
	if err != nil {
		return err
	}
	if err := h.Receive(r.Context(), r.Header, body); err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, struct{}{})
}
