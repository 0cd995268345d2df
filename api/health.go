// Package api holds the functions served at the top of /api.
package api

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleHealth serves GET /api/health, for anyone: 200 {"status":"ok"} when Redis answers,
// 503 unavailable when it does not.
func HandleHealth(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{http.MethodGet: health})
}

func health(w http.ResponseWriter, r *http.Request) error {
	st, err := store.Default()
	if err != nil {
		return err
	}
	if err := st.Ping(r.Context()); err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
