package vercel

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// echo answers with its name and the request's query, so a test sees who served what.
func echo(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", name)
		_, _ = w.Write([]byte(name + " " + r.URL.RawQuery))
	}
}

func testRouter(t *testing.T) *Router {
	t.Helper()
	rt, err := NewRouter([]Route{
		{Path: "/api", Handler: echo("index")},
		{Path: "/api/health", Handler: echo("health")},
		{Path: "/api/reports", Handler: echo("reports")},
		{Path: "/api/reports/new", Handler: echo("new")},
		{Path: "/api/reports/[id]", Handler: echo("report")},
		{Path: "/api/reports/[id]/share", Handler: echo("share")},
		{Path: "/api/[org]/members", Handler: echo("members")},
		{Path: "/api/teams/[team]", Handler: echo("team")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestRouterDispatch(t *testing.T) {
	rt := testRouter(t)
	tests := []struct {
		target, wantBody string
	}{
		{"/api", "index "},
		{"/api/health", "health "},
		{"/api/health?x=1", "health x=1"},
		{"/api/reports", "reports "},
		{"/api/reports/new", "new "},                // static wins over [id]
		{"/api/reports/42", "report id=42"},         // the segment becomes ?id=
		{"/api/reports/42?x=1", "report id=42&x=1"}, // and joins the query
		{"/api/reports/42?id=7", "report id=7"},     // the client's ?id= wins, as on Vercel
		{"/api/reports/a%2Fb", "report id=a%2Fb"},   // one segment, decoded once by the query
		{"/api/reports/a+b", "report id=a+b"},       // "+" reaches the query raw: a space
		{"/api/reports/42/share", "share id=42"},    // dynamic folder in the middle
		{"/api/teams/new", "team team=new"},         // same shape as [org]/members? no: fewer segments
		{"/api/acme/members", "members org=acme"},   //
		{"/api/teams/members", "members org=teams"}, // both match; fewer trailing parameters first
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.target, nil))
		if rec.Code != http.StatusOK || rec.Body.String() != tt.wantBody {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.target, rec.Code, rec.Body, tt.wantBody)
		}
	}
}

func TestRouterQueryValues(t *testing.T) {
	var got string
	rt, err := NewRouter([]Route{{Path: "/api/r/[id]", Handler: func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query().Get("id")
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"/api/r/42":      "42",
		"/api/r/a%2Fb":   "a/b",
		"/api/r/a+b":     "a b",
		"/api/r/%C3%A9t": "ét",
	} {
		got = "unset"
		rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		if got != want {
			t.Errorf("%s: id = %q, want %q", target, got, want)
		}
	}
}

func TestRouterNotFoundIsJSON(t *testing.T) {
	rt := testRouter(t)
	for _, target := range []string{"/api/nope", "/api/health/extra", "/api/reports/", "/api/reports/1/2/3", "/API/health", "/elsewhere"} {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		if rec.Code != http.StatusNotFound || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != "not_found" {
			t.Errorf("GET %s = %d %s, want a JSON not_found", target, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s Content-Type = %q", target, ct)
		}
	}
}

// Vercel sorts dynamic routes by more segments first, then fewer trailing parameters.
func TestRouterDynamicOrder(t *testing.T) {
	rt, err := NewRouter([]Route{
		{Path: "/api/y/[b]", Handler: echo("trailing")},
		{Path: "/api/[a]/x", Handler: echo("middle")},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/y/x", nil))
	if !strings.HasPrefix(rec.Body.String(), "middle") {
		t.Errorf("/api/y/x served by %q, want the route with fewer trailing parameters", rec.Body)
	}
}

func TestNewRouterRefuses(t *testing.T) {
	h := echo("x")
	tests := []struct {
		name   string
		routes []Route
	}{
		{"nil handler", []Route{{Path: "/api/x"}}},
		{"relative path", []Route{{Path: "api/x", Handler: h}}},
		{"trailing slash", []Route{{Path: "/api/x/", Handler: h}}},
		{"empty segment", []Route{{Path: "/api//x", Handler: h}}},
		{"malformed parameter", []Route{{Path: "/api/[x", Handler: h}}},
		{"empty parameter", []Route{{Path: "/api/[]", Handler: h}}},
		{"duplicate", []Route{{Path: "/api/x", Handler: h}, {Path: "/api/x", Handler: h}}},
		{"same shape", []Route{{Path: "/api/[a]", Handler: h}, {Path: "/api/[b]", Handler: h}}},
	}
	for _, tt := range tests {
		if _, err := NewRouter(tt.routes); err == nil {
			t.Errorf("%s: NewRouter accepted %+v", tt.name, tt.routes)
		}
	}
}
