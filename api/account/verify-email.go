package account

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleVerifyEmail serves POST /api/account/verify-email for a signed-in user: 202, a new
// verification link is e-mailed (rate limited; nothing when already verified).
func HandleVerifyEmail(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(resendVerification)})
}

func resendVerification(w http.ResponseWriter, r *http.Request) error {
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	if err := l.ResendVerification(r.Context(), session.From(r.Context())); err != nil {
		return err
	}
	return web.JSON(w, http.StatusAccepted, map[string]any{})
}
