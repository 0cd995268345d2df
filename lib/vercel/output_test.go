package vercel

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// The routes `vercel build` (CLI 58.10.0) writes for our vercel.json, up to the error phase:
// cleanUrls' two redirects, the headers route, the zero-config /api redirects, then the
// filesystem phase with our rewrites.
const builtConfig = `{"version":3,"routes":[
{"src":"^/(?:(.+)/)?index(?:\\.html)?/?$","headers":{"Location":"/$1"},"status":308},
{"src":"^/(.*)\\.html/?$","headers":{"Location":"/$1"},"status":308},
{"src":"^(?:/(.*))$","headers":{"X-Frame-Options":"DENY"},"continue":true},
{"src":"^/(api(?:.+)?)/index(?:\\.(?:go))?/?$","headers":{"Location":"/$1"},"status":308},
{"src":"^/api/(.+)(?:\\.(?:go))/?$","headers":{"Location":"/api/$1"},"status":308},
{"handle":"filesystem"},
{"src":"^/api(?:/(.*))$","dest":"/api/not-found","check":true},
{"src":"^/api(/.*)?$","status":404},
{"handle":"error"},
{"status":404,"src":"^(?!/api).*$","dest":"/404"}],"overrides":{"signup.html":{"path":"signup"}}}`

// matches evaluates a patched route the way Vercel's PCRE would: apiExempt refuses /api
// paths (Go's regexp has no lookahead), then the original pattern decides.
func matches(t *testing.T, src, path string) bool {
	t.Helper()
	rest, exempt := strings.CutPrefix(src, apiExempt)
	if exempt && NoRedirectsUnderAPI(path) {
		return false
	}
	if exempt {
		rest = "^" + rest
	}
	return regexp.MustCompile(rest).MatchString(path)
}

// No path under /api is redirected by the deployed config.json (issue 11, item 16); every
// other path is redirected exactly as before, and nothing else changes.
func TestExemptAPIFromRedirects(t *testing.T) {
	out, n, err := ExemptAPIFromRedirects([]byte(builtConfig))
	if err != nil || n != 4 {
		t.Fatalf("patched %d redirects, %v; want the 4 before the filesystem phase", n, err)
	}
	var before, after struct {
		Version   int              `json:"version"`
		Routes    []map[string]any `json:"routes"`
		Overrides map[string]any   `json:"overrides"`
	}
	if json.Unmarshal([]byte(builtConfig), &before) != nil || json.Unmarshal(out, &after) != nil {
		t.Fatalf("output is not JSON: %s", out)
	}
	if after.Version != 3 || len(after.Routes) != len(before.Routes) || after.Overrides["signup.html"] == nil {
		t.Fatalf("config changed beyond the redirects: %s", out)
	}
	for i, rt := range after.Routes {
		src, _ := rt["src"].(string)
		if _, redirect := rt["status"]; !redirect || i > 4 {
			if orig, _ := before.Routes[i]["src"].(string); src != orig {
				t.Errorf("route %d changed: %q → %q", i, orig, src)
			}
			continue
		}
		orig := before.Routes[i]["src"].(string)
		for _, path := range []string{"/api/me.go", "/api/health.go", "/api/me/index", "/api/index", "/api/x.html", "/api/index.html", "/api", "/api/", "/signup.html", "/index.html", "/docs/index", "/apidocs.html", "/app/index"} {
			want := regexp.MustCompile(orig).MatchString(path) && !NoRedirectsUnderAPI(path)
			if got := matches(t, src, path); got != want {
				t.Errorf("route %q on %s: redirects %v, want %v", src, path, got, want)
			}
		}
	}
	if again, n, _ := ExemptAPIFromRedirects(out); n != 0 || string(again) != string(out) {
		t.Errorf("a second pass changed %d routes", n)
	}
}
