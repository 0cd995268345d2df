// Package totp holds the two-factor settings functions.
package totp

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/totp/qr"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleTOTP serves /api/account/totp for a signed-in user: POST with {password} starts
// enrolment ({secret, otpauth_url, qr_png}); DELETE with {password, code | recovery_code} turns 2FA off.
func HandleTOTP(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodPost:   session.Required(enrol),
		http.MethodDelete: session.Required(disable),
	})
}

func enrol(w http.ResponseWriter, r *http.Request) error {
	var in account.EnrolInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	e, err := svc.EnrolTOTP(r.Context(), session.From(r.Context()), in, web.ClientOf(r))
	if err != nil {
		return err
	}
	if e.QRPNG, err = qr.DataURL(e.OTPAuthURL); err != nil {
		return problem.Internal(err)
	}
	return web.JSON(w, http.StatusOK, e)
}

func disable(w http.ResponseWriter, r *http.Request) error {
	var in account.DisableInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	if err := svc.DisableTOTP(r.Context(), session.From(r.Context()), in, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
