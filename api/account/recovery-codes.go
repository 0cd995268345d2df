package account

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleRecoveryCodes serves POST /api/account/recovery-codes for a signed-in user with 2FA
// on: with {password, code | recovery_code}, a new set of {recovery_codes}; the old set stops working.
func HandleRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.Required(regenerate)})
}

func regenerate(w http.ResponseWriter, r *http.Request) error {
	var in account.RegenerateInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	codes, err := svc.RegenerateRecoveryCodes(r.Context(), session.From(r.Context()), in, web.ClientOf(r))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}
