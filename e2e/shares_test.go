package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
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

// Deleting the report kills its links and their pointers (before anyone visits them);
// deleting the account leaves nothing of them.
func TestShareLinksDieWithReportAndAccount(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	rid := requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	id, token := createShare(t, c, map[string]any{"report_id": rid})
	anon := devtest.NewClient(t)
	devtest.Want(t, c.Do("DELETE", "/api/reports/"+rid, nil), http.StatusNoContent, "")
	wantNoPointers(t, u["id"].(string), id)
	devtest.Want(t, anon.Do("GET", "/api/shared?token="+token, nil), http.StatusNotFound, "not_found")
	devtest.Want(t, anon.Do("POST", "/api/shared", map[string]any{"token": token}), http.StatusNotFound, "not_found")

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

// A report deleted while its owner creates links to it (ten POST /api/shares and the DELETE
// released together): every link made is gone with it, pointer included, and nothing of a
// link is left in the owner's index.
func TestShareCreateRacingReportDeletion(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	rid := requestReport(t, c, "last_7_days")
	awaitReport(t, c, rid)
	var mu sync.Mutex
	var made []string
	storetest.Together(11, func(i int) {
		if i == 0 {
			devtest.Want(t, c.Do("DELETE", "/api/reports/"+rid, nil), http.StatusNoContent, "")
			return
		}
		if r := c.Do("POST", "/api/shares", map[string]any{"report_id": rid}); r.StatusCode == http.StatusCreated {
			mu.Lock()
			made = append(made, r.Map()["id"].(string))
			mu.Unlock()
		}
	})
	wantNoPointers(t, u["id"].(string), made...)
}

// wantNoPointers fails if a share link's pointer (ids) is stored or any pointer is in the
// user's index.
func wantNoPointers(t *testing.T, userID string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		if k := report.SharePointerKey(devtest.Store, id); devtest.Store.R.Exists(ctx, k).Val() != 0 {
			t.Errorf("%s outlived its report", k)
		}
	}
	for _, k := range devtest.Store.R.SMembers(ctx, devtest.Store.IndexKey(userID)).Val() {
		if strings.HasPrefix(k, report.SharePointerKey(devtest.Store, "")) {
			t.Errorf("%s still in the index", k)
		}
	}
}
