package totp

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleConfirm serves POST /api/account/totp/confirm for a signed-in user: a code from the
// new secret turns 2FA on and returns {recovery_codes}, shown this once.
func HandleConfirm(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(confirm)})
}

type confirmInput struct {
	Code string `json:"code"`
}

func confirm(w http.ResponseWriter, r *http.Request) error {
	var in confirmInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	codes, err := svc.ConfirmTOTP(r.Context(), session.From(r.Context()), in.Code, web.ClientOf(r))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}
