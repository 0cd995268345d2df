package providertest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// Google is Google's OAuth server and the two APIs listed at connect time, for a client
// asking for scopes (analytics.readonly or webmasters.readonly).
//
// Sources: token answers from
// https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
// (no refresh_token on refresh: Google does not rotate); revocation from
// https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke (a form
// with token=; 200, or 400 {"error":"invalid_token"}); lists from
// https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list
// and https://developers.google.com/webmaster-tools/v1/sites/list.
func Google(t testing.TB, scopes ...string) *Fake {
	return start(t, Config{
		ID: "google", ClientID: "123-fake.apps.googleusercontent.com", ClientSecret: "GOCSPX-fake-secret",
		AuthPath: "/o/oauth2/v2/auth", TokenPath: "/token", RevokePath: "/revoke",
		Auth: provider.SecretPost, PKCE: true, Scopes: scopes,
		AuthParams:         url.Values{"access_type": {"offline"}, "prompt": {"consent"}},
		RedirectInExchange: true, AccessTTL: time.Hour, SendExpiresIn: true,
		ErrorStatus: http.StatusBadRequest, BadRefresh: "invalid_grant",
		Revoke: revokeGoogle, API: googleAPI,
	})
}

func revokeGoogle(f *Fake, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.RevokeStatus != 0 {
		w.WriteHeader(f.RevokeStatus)
		return
	}
	if !f.endGrant(r.PostForm.Get("token"), r.PostForm) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_token", "error_description": "Token expired or revoked"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

func googleAPI(f *Fake, mux *http.ServeMux) {
	mux.HandleFunc("GET /v1beta/accountSummaries", f.guard(func(w http.ResponseWriter, r *http.Request, _ *Grant) {
		// Two pages, to show the listing follows nextPageToken.
		if r.URL.Query().Get("pageToken") == "" {
			writeJSON(w, http.StatusOK, map[string]any{
				"accountSummaries": []any{map[string]any{
					"name": "accountSummaries/100", "account": "accounts/100", "displayName": "Acme",
					"propertySummaries": []any{
						map[string]any{"property": "properties/1001", "displayName": "Acme Web", "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/100"},
						map[string]any{"property": "properties/1002", "displayName": "Acme App", "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/100"},
					},
				}},
				"nextPageToken": "page-2",
			})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"accountSummaries": []any{map[string]any{
			"name": "accountSummaries/200", "account": "accounts/200", "displayName": "Side project",
			"propertySummaries": []any{map[string]any{"property": "properties/2001", "displayName": "Blog", "parent": "accounts/200"}},
		}}})
	}))
	mux.HandleFunc("GET /webmasters/v3/sites", f.guard(func(w http.ResponseWriter, r *http.Request, _ *Grant) {
		// The unverified sites come first, so that listing one would make it the default
		// choice; one is cased differently from the documented "siteUnverifiedUser".
		// https://developers.google.com/webmaster-tools/v1/sites#resource
		writeJSON(w, http.StatusOK, map[string]any{"siteEntry": []any{
			map[string]any{"siteUrl": "https://first-unverified.example/", "permissionLevel": "SITEUNVERIFIEDUSER"},
			map[string]any{"siteUrl": "https://www.example.com/", "permissionLevel": "siteOwner"},
			map[string]any{"siteUrl": "sc-domain:example.com", "permissionLevel": "siteFullUser"},
			map[string]any{"siteUrl": "https://unverified.example/", "permissionLevel": "siteUnverifiedUser"},
		}})
	}))
}
