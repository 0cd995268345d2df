package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/share"
)

// createShare makes a link to the report and returns its id and token.
func createShare(t *testing.T, c *devtest.Client, body map[string]any) (id, token string) {
	t.Helper()
	r := c.Do("POST", "/api/shares", body)
	devtest.Want(t, r, http.StatusCreated, "")
	m := r.Map()
	url, _ := m["url"].(string)
	_, token, ok := strings.Cut(url, share.Path+"#")
	if !ok || token == "" || m["id"] == "" {
		t.Fatalf("POST /api/shares: %s", r.Body)
	}
	return m["id"].(string), token
}

// A share link end to end over HTTP: create, open without a cookie (headers: noindex,
// no-referrer), list with its views, a password, revoke → 404; other users see nothing.
func TestShareLinks(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	connectDemo(t, c)
	rid := requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	id, token := createShare(t, c, map[string]any{"report_id": rid})

	anon := devtest.NewClient(t)
	r := anon.Do("GET", "/api/shared?token="+token, nil)
	devtest.Want(t, r, http.StatusOK, "")
	var doc reportDoc
	r.JSON(&doc)
	if doc.ID != rid || doc.Status != "ready" || len(doc.Sections) != 1 {
		t.Fatalf("shared report = %+v", doc)
	}
	if r.Header.Get("X-Robots-Tag") != "noindex, nofollow" || r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("shared answer's headers: %v", r.Header)
	}
	devtest.Want(t, anon.Do("POST", "/api/shared", map[string]any{"token": token}), http.StatusOK, "")
	page := anon.Do("GET", share.Path, nil)
	if page.StatusCode != 200 || page.Header.Get("X-Robots-Tag") != "noindex, nofollow" || page.Header.Get("Referrer-Policy") != "no-referrer" || page.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("viewer page: %d %v", page.StatusCode, page.Header)
	}

	list := c.Do("GET", "/api/shares?report_id="+rid, nil)
	devtest.Want(t, list, http.StatusOK, "")
	rows := list.Map()["shares"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["id"] != id || rows[0].(map[string]any)["views"] != 2.0 || rows[0].(map[string]any)["url"] != nil {
		t.Fatalf("shares = %s", list.Body)
	}

	other, _ := signUp(t)
	devtest.Want(t, other.Do("GET", "/api/shares?report_id="+rid, nil), http.StatusNotFound, "not_found")
	devtest.Want(t, other.Do("DELETE", "/api/shares?id="+id, nil), http.StatusNotFound, "not_found")
	devtest.Want(t, other.Do("POST", "/api/shares", map[string]any{"report_id": rid}), http.StatusNotFound, "not_found")
	devtest.Want(t, anon.Do("GET", "/api/shares?report_id="+rid, nil), http.StatusUnauthorized, "unauthenticated")

	_, locked := createShare(t, c, map[string]any{"report_id": rid, "password": "open sesame", "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	devtest.Want(t, anon.Do("GET", "/api/shared?token="+locked, nil), http.StatusUnauthorized, "password_required")
	devtest.Want(t, anon.Do("POST", "/api/shared", map[string]any{"token": locked, "password": "open sesame!"}), http.StatusUnauthorized, "invalid_password")
	devtest.Want(t, anon.Do("POST", "/api/shared", map[string]any{"token": locked, "password": "open sesame"}), http.StatusOK, "")
	devtest.Want(t, c.Do("POST", "/api/shares", map[string]any{"report_id": rid, "expires_at": "2020-01-01T00:00:00Z"}), http.StatusBadRequest, "invalid_request")

	devtest.Want(t, c.Do("DELETE", "/api/shares?id="+id, nil), http.StatusNoContent, "")
	devtest.Want(t, anon.Do("GET", "/api/shared?token="+token, nil), http.StatusNotFound, "not_found")
	devtest.Want(t, c.Do("DELETE", "/api/shares?id="+id, nil), http.StatusNotFound, "not_found")
	types := typesOf(securityLog(t, c))
	if !strings.Contains(strings.Join(types, " "), "share_link_revoked share_link_created share_link_created") {
		t.Fatalf("security log = %v", types)
	}
}

// Deleting the report kills its links; deleting the account leaves nothing of them.
func TestShareLinksDieWithReportAndAccount(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	rid := requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	_, token := createShare(t, c, map[string]any{"report_id": rid})
	anon := devtest.NewClient(t)
	devtest.Want(t, c.Do("DELETE", "/api/reports/"+rid, nil), http.StatusNoContent, "")
	devtest.Want(t, anon.Do("GET", "/api/shared?token="+token, nil), http.StatusNotFound, "not_found")

	rid = requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	_, token = createShare(t, c, map[string]any{"report_id": rid, "password": "open sesame"})
	devtest.Want(t, anon.Do("POST", "/api/shared", map[string]any{"token": token, "password": "open sesame"}), http.StatusOK, "")
	wantIndexInvariant(t, u["id"].(string), u["email"].(string))
	devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), http.StatusAccepted, "")
	awaitQStash(t)
	wantGone(t, u["id"].(string), u["email"].(string))
	devtest.Want(t, anon.Do("GET", "/api/shared?token="+token, nil), http.StatusNotFound, "not_found")
}
