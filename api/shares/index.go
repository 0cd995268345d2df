// Package shares holds the functions that manage a report's share links.
package shares

import (
	"net/http"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleShares serves /api/shares for a report's owner: POST {report_id, expires_at?,
// password?} creates a link (201 {id, url, expires_at, has_password}; the url holds the token
// and is shown this once); GET ?report_id=ID lists the report's links with their views;
// DELETE ?id=ID revokes one (204).
func HandleShares(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:    session.Required(list),
		http.MethodPost:   session.Required(create),
		http.MethodDelete: session.Required(revoke),
	})
}

type createInput struct {
	ReportID  string     `json:"report_id"`
	ExpiresAt *time.Time `json:"expires_at"`
	Password  string     `json:"password"`
}

func create(w http.ResponseWriter, r *http.Request) error {
	var in createInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	if in.ReportID == "" {
		return problem.Invalid("report_id", "Field \"report_id\" is required.")
	}
	svc, err := share.Default()
	if err != nil {
		return err
	}
	opts := share.Options{ExpiresAt: in.ExpiresAt, Password: in.Password, Client: web.ClientOf(r)}
	c, err := svc.Create(r.Context(), session.From(r.Context()).UserID, in.ReportID, opts)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusCreated, c)
}

func list(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("report_id")
	if id == "" {
		return problem.Invalid("report_id", "Query parameter \"report_id\" is required.")
	}
	svc, err := share.Default()
	if err != nil {
		return err
	}
	links, err := svc.List(r.Context(), session.From(r.Context()).UserID, id)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"shares": links})
}

func revoke(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		return problem.Invalid("id", "Query parameter \"id\" is required.")
	}
	svc, err := share.Default()
	if err != nil {
		return err
	}
	if err := svc.Revoke(r.Context(), session.From(r.Context()).UserID, id, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
