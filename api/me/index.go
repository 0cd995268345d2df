// Package me holds the signed-in user's own account function.
package me

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleMe serves /api/me for a signed-in user: GET returns {user} (with email_bounced when mail to it bounced); PATCH changes the name
// and/or time zone and returns {user}.
func HandleMe(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:   session.Required(me),
		http.MethodPatch: session.Required(updateMe),
	})
}

func me(w http.ResponseWriter, r *http.Request) error {
	l, err := account.DefaultLinks()
	if err != nil {
		return err
	}
	u, err := l.Me(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"user": u})
}

func updateMe(w http.ResponseWriter, r *http.Request) error {
	var in account.ProfileInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := account.Default()
	if err != nil {
		return err
	}
	u, err := svc.UpdateProfile(r.Context(), session.From(r.Context()).UserID, in)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"user": u})
}
