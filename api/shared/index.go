// Package shared holds the function a share link's viewer calls: no account, no cookie.
package shared

import (
	"net/http"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/web"
)

// HandleShared serves /api/shared to anyone holding a link's token: GET ?token=T or POST
// {token, password?} returns the report (as GET /api/reports/{id}) and counts a view; 401
// password_required / invalid_password for a protected link (wrong passwords rate limited);
// 404 when the link was revoked, expired, or its report deleted. The viewer page uses POST,
// so the token stays out of URLs and their logs. vercel.json adds noindex and no-referrer.
func HandleShared(w http.ResponseWriter, r *http.Request) {
	web.Serve(w, r, web.Methods{
		http.MethodGet:  show,
		http.MethodPost: unlock,
	})
}

func show(w http.ResponseWriter, r *http.Request) error {
	return open(w, r, r.URL.Query().Get("token"), nil)
}

type unlockInput struct {
	Token    string  `json:"token"`
	Password *string `json:"password"`
}

func unlock(w http.ResponseWriter, r *http.Request) error {
	var in unlockInput
	if err := web.Decode(w, r, &in); err != nil {
		return err
	}
	return open(w, r, in.Token, in.Password)
}

func open(w http.ResponseWriter, r *http.Request, token string, pw *string) error {
	if token == "" {
		return problem.Invalid("token", "The link's token is required.")
	}
	svc, err := share.Default()
	if err != nil {
		return err
	}
	rep, err := svc.Open(r.Context(), token, pw, web.ClientOf(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return web.JSON(w, http.StatusOK, rep)
}
