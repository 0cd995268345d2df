package auth

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleLogout serves POST /api/auth/logout: ends the session server-side and clears the
// cookie. It answers 204 even without a valid session, so signing out always succeeds.
func HandleLogout(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodPost: session.SameOrigin(logout)})
}

func logout(w http.ResponseWriter, r *http.Request) error {
	svc, err := account.Default()
	if err != nil {
		return err
	}
	if err := svc.Logout(w, r); err != nil {
		return err
	}
	return web.NoContent(w)
}
