package web

import (
	"net/http/httptest"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// The path wins over a client's ?id= (issue 11, item 16): the platform merges the client's
// query over the rewrite's, so GET /api/reports/X?id=Y reached the function with id=Y.
func TestRouteParam(t *testing.T) {
	for target, want := range map[string]string{
		"/api/reports/abc":               "abc",
		"/api/reports/abc?id=abc":        "abc", // what the local router and the platform pass
		"/api/reports/abc?format=csv":    "abc",
		"/api/reports/a%20b?id=a+b":      "a b",
		"/api/reports/item?id=abc":       "abc", // the function's own path: the rewrite's query
		"/api/reports/abc?id=xyz":        "",    // a client's ?id= that disagrees
		"/api/reports/abc?id=abc&id=xyz": "",
		"/api/reports/item?id=a&id=b":    "",
		"/api/reports/item":              "",
		"/api/reports/item?id=":          "",
	} {
		got, err := RouteParam(httptest.NewRequest("GET", target, nil), "/api/reports/item", "id")
		if want == "" {
			if p, ok := problem.As(err); !ok || p.Status != 400 || p.Field != "id" {
				t.Errorf("%s: %q, %v; want 400 naming id", target, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", target, got, err, want)
		}
	}
}
