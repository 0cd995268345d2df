package e2e

import (
	"context"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// /api/reports/{id} reaches api/reports/item.go through vercel.json's rewrite to ?id={id},
// and the platform lays the client's query over the rewrite's. Before the fix the client's
// ?id= won: GET /api/reports/X?id=Y answered report Y and DELETE deleted Y. The path wins now;
// a disagreeing ?id= is a 400 naming id, and both reports stay in Redis.
func TestReportPathWinsOverQueryID(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	connectDemo(t, c)
	x, y := requestReport(t, c, "last_7_days"), requestReport(t, c, "last_28_days")
	for _, method := range []string{"GET", "DELETE"} {
		for _, q := range []string{"?id=" + y, "?id=" + x + "&id=" + y, "?format=csv&id=" + y} {
			r := c.Do(method, "/api/reports/"+x+q, nil)
			devtest.Want(t, r, 400, "invalid_request")
			if f := errorField(r); f != "id" {
				t.Errorf("%s %s: field %q, want id", method, q, f)
			}
		}
	}
	for _, id := range []string{x, y} {
		if n := devtest.Store.R.Exists(context.Background(), devtest.Store.Key("report", id)).Val(); n != 1 {
			t.Fatalf("report %s is gone after refused requests", id)
		}
	}
	r := c.Do("GET", "/api/reports/"+x+"?id="+x, nil)
	devtest.Want(t, r, 200, "")
	if got := r.Map()["id"]; got != x {
		t.Fatalf("GET /api/reports/%s?id=%s answered report %v", x, x, got)
	}
	devtest.Want(t, c.Do("DELETE", "/api/reports/"+x, nil), 204, "")
	if n := devtest.Store.R.Exists(context.Background(), devtest.Store.Key("report", y)).Val(); n != 1 {
		t.Fatalf("deleting %s deleted %s", x, y)
	}
}

// Every path under /api answers the API's JSON, never a redirect or a page (issue 11, item
// 16): before, /api/me/ and /api/health/ were 308s (trailingSlash: false), /api/me.go and
// /api/me/index 308s (cleanUrls), and an unknown path was JSON only locally. vercel.json now
// sends what no function serves to api/not-found.go, and the built config.json exempts /api
// from the platform's redirects (vercel.ExemptAPIFromRedirects). Not covered: malformed
// request lines, which Go's server and Vercel's edge refuse before any handler.
func TestEveryAPIPathAnswersJSON(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	for _, path := range []string{"/api", "/api/", "/api/me/", "/api/health/", "/api/no-such", "/api/reports/x/", "/api/reports/x/y", "/api/not-found", "/api/auth/login/",
		"/api/me.go", "/api/health.go", "/api/me/index", "/api/me/index.go", "/api/index", "/api/me.html", "/api/account/totp/index.go"} {
		for _, method := range []string{"GET", "POST", "DELETE"} {
			r := c.Do(method, path, nil)
			devtest.Want(t, r, 404, "not_found")
		}
	}
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")
}
