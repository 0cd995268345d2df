package integrations

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleChoices serves /api/integrations/choices for a signed-in user: GET ?provider=ID
// lists what the provider offers to report on (GA4 properties, Search Console sites,
// GitHub repositories, demo sites) and what is chosen; PUT {provider, selected: [ids]}
// chooses.
func HandleChoices(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet: session.Required(listChoices),
		http.MethodPut: session.Required(choose),
	})
}

func listChoices(w http.ResponseWriter, r *http.Request) error {
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	res, err := svc.Choices(r.Context(), session.From(r.Context()).UserID, r.URL.Query().Get("provider"))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, res)
}

func choose(w http.ResponseWriter, r *http.Request) error {
	var in integration.SelectInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	svc, err := integration.Default()
	if err != nil {
		return err
	}
	res, err := svc.Select(r.Context(), session.From(r.Context()).UserID, in)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, res)
}
