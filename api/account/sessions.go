package account

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleSessions serves /api/account/sessions for a signed-in user: GET lists the live
// sessions; DELETE ?id=ID signs one out, ?id=others every one but the caller's.
func HandleSessions(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:    session.Required(listSessions),
		http.MethodDelete: session.Required(revokeSession),
	})
}

func listSessions(w http.ResponseWriter, r *http.Request) error {
	svc, err := account.Default()
	if err != nil {
		return err
	}
	list, err := svc.ListSessions(r.Context(), session.From(r.Context()))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, map[string]any{"sessions": list})
}

func revokeSession(w http.ResponseWriter, r *http.Request) error {
	svc, err := account.Default()
	if err != nil {
		return err
	}
	id := r.URL.Query().Get("id")
	if err := svc.RevokeSession(r.Context(), session.From(r.Context()), id, web.ClientOf(r)); err != nil {
		return err
	}
	return web.NoContent(w)
}
