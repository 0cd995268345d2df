package reports

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleReport serves /api/reports/{id} (vercel.json rewrites it here with ?id=; a file named
// [id].go cannot be built by the go command) for the report's owner: GET returns the report (or,
// with ?format=csv, its CSV); DELETE removes it. Another user's id is 404. The id in the path
// wins: a client's own ?id= that disagrees is a 400 (web.RouteParam).
func HandleReport(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:    session.Required(show),
		http.MethodDelete: session.Required(remove),
	})
}

func show(w http.ResponseWriter, r *http.Request) error {
	svc, err := report.Default()
	if err != nil {
		return err
	}
	id, err := web.RouteParam(r, "/api/reports/item", "id")
	if err != nil {
		return err
	}
	userID := session.From(r.Context()).UserID
	if r.URL.Query().Get("format") == "csv" {
		return web.CSV(w, func(buf web.Buffer) (string, error) {
			return svc.WriteCSV(r.Context(), buf, userID, id)
		})
	}
	rep, err := svc.Get(r.Context(), userID, id)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, rep)
}

func remove(w http.ResponseWriter, r *http.Request) error {
	svc, err := report.Default()
	if err != nil {
		return err
	}
	id, err := web.RouteParam(r, "/api/reports/item", "id")
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), session.From(r.Context()).UserID, id); err != nil {
		return err
	}
	return web.NoContent(w)
}
