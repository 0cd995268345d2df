// Package schedules holds the schedule functions.
package schedules

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSchedules serves /api/schedules for a signed-in user: GET lists the schedules (with
// sources_connected and problem); POST {cadence, weekday?, day?, hour, timezone?, compare?,
// recipients?, paused?, on_needs_reconnect?} creates one (201); PATCH ?id=ID changes the
// fields given (200); DELETE ?id=ID removes one.
func HandleSchedules(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:    session.Required(list),
		http.MethodPost:   session.Required(create),
		http.MethodPatch:  session.Required(update),
		http.MethodDelete: session.Required(remove),
	})
}

func list(w http.ResponseWriter, r *http.Request) error {
	svc, err := schedule.Default()
	if err != nil {
		return err
	}
	all, err := svc.ListFor(r.Context(), session.From(r.Context()).UserID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"schedules": all})
}

func create(w http.ResponseWriter, r *http.Request) error {
	var in schedule.Input
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := schedule.Default()
	if err != nil {
		return err
	}
	sc, err := svc.CreateFor(r.Context(), session.From(r.Context()).UserID, in)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusCreated, sc)
}

func update(w http.ResponseWriter, r *http.Request) error {
	var p schedule.Patch
	if err := web.Decode(w, r, &p); err != nil {
		return err
	}
	svc, err := schedule.Default()
	if err != nil {
		return err
	}
	sc, err := svc.UpdateFor(r.Context(), session.From(r.Context()).UserID, r.URL.Query().Get("id"), p)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, sc)
}

func remove(w http.ResponseWriter, r *http.Request) error {
	svc, err := schedule.Default()
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), session.From(r.Context()).UserID, r.URL.Query().Get("id")); err != nil {
		return err
	}
	return web.NoContent(w)
}
