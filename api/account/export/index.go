// Package exportdata holds the data export function.
package exportdata

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/export"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleExport serves GET /api/account/export for a signed-in user: one JSON document with
// everything stored about the account, OAuth tokens excluded, as a download.
func HandleExport(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: session.Required(exportAll)})
}

func exportAll(w http.ResponseWriter, r *http.Request) error {
	src, err := export.DefaultSources()
	if err != nil {
		return err
	}
	doc, err := export.Build(r.Context(), src, session.From(r.Context()))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="metriqs-export.json"`)
	return web.JSON(w, http.StatusOK, doc)
}
