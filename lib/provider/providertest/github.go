package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// GitHub is a GitHub App's user authorization: web flow with PKCE, expiring user tokens
// with rotating refresh tokens, grant deletion, and the installation listings.
//
// Sources: token answers (form-encoded unless asked for JSON; errors such as
// bad_verification_code and bad_refresh_token come with status 200) from
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app,
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
// and https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors;
// grant deletion (DELETE, Basic client id and secret, JSON {"access_token"}; 204, or 404
// and 422) from https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization;
// listings from https://docs.github.com/en/rest/apps/installations.
func GitHub(t testing.TB) *Fake {
	return start(t, Config{
		ID: "github", ClientID: "Iv23liFakeClientID", ClientSecret: "fake-github-secret",
		AuthPath: "/login/oauth/authorize", TokenPath: "/login/oauth/access_token", RevokePath: "/applications/{client_id}/grant",
		Auth: provider.SecretPost, PKCE: true, RedirectInExchange: true,
		Rotate: true, AccessTTL: 8 * time.Hour, SendExpiresIn: true, FormAnswers: true,
		ErrorStatus: http.StatusOK, BadRefresh: "bad_refresh_token",
		Extra: func(*Grant) map[string]any {
			return map[string]any{"refresh_token_expires_in": 15811200, "scope": ""}
		},
		Revoke: revokeGitHub, API: githubAPI,
	})
}

func revokeGitHub(f *Fake, w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodDelete || !ok || user != f.ClientID || pass != f.ClientSecret || r.PathValue("client_id") != f.ClientID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.AccessToken == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.RevokeStatus != 0 {
		w.WriteHeader(f.RevokeStatus)
		return
	}
	// Only a valid (unexpired) access token identifies the authorization.
	if _, live := f.live(body.AccessToken); !live || !f.endGrant(body.AccessToken, url.Values{"access_token": {body.AccessToken}}) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func githubAPI(f *Fake, mux *http.ServeMux) {
	mux.HandleFunc("GET /user", f.guard(func(w http.ResponseWriter, r *http.Request, _ *Grant) {
		writeJSON(w, http.StatusOK, map[string]any{"login": "octocat", "id": 583231})
	}))
	mux.HandleFunc("GET /user/installations", f.guard(func(w http.ResponseWriter, r *http.Request, _ *Grant) {
		writeJSON(w, http.StatusOK, map[string]any{"total_count": len(githubInstallations), "installations": githubPageOf(r, githubInstallations)})
	}))
	mux.HandleFunc("GET /user/installations/{id}/repositories", f.guard(func(w http.ResponseWriter, r *http.Request, _ *Grant) {
		if !slices.ContainsFunc(githubInstallations, func(in any) bool { return fmt.Sprint(in.(map[string]any)["id"]) == r.PathValue("id") }) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		if r.PathValue("id") != "7" {
			writeJSON(w, http.StatusOK, map[string]any{"total_count": 0, "repositories": []any{}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"total_count": 2, "repositories": []any{
			map[string]any{"full_name": "octocat/hello-world", "private": false, "owner": map[string]any{"login": "octocat"}},
			map[string]any{"full_name": "octocat/secret-sauce", "private": true, "owner": map[string]any{"login": "octocat"}},
		}})
	}))
}

// githubInstallations are the app's installations the user can access: 100 organisations
// without repositories the user can read, then octocat's, on the second page of 100, as a
// user who belongs to many organisations sees them.
var githubInstallations = func() []any {
	out := make([]any, 0, 101)
	for i := range 100 {
		out = append(out, map[string]any{"id": 1000 + i, "account": map[string]any{"login": fmt.Sprintf("org-%d", i)}})
	}
	return append(out, map[string]any{"id": 7, "account": map[string]any{"login": "octocat"}})
}()

// githubPageOf is the page of items r asks for (per_page, default 30, at most 100; page from
// 1), as GitHub's REST pagination serves it.
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
func githubPageOf(r *http.Request, items []any) []any {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	lo := min(max(page-1, 0)*per, len(items))
	return items[lo:min(lo+per, len(items))]
}
