package api

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleNotFound serves every /api path that no function serves: vercel.json's last rewrites
// send them here, so that they answer API.md's JSON 404 rather than the platform's own page.
// Any method, for anyone.
func HandleNotFound(w http.ResponseWriter, r *http.Request) {
	web.NotFound(w, r)
}
