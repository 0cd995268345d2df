package vercel

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// securityHeaders are the headers the security page promises on every response.
var securityHeaders = map[string]string{
	"Strict-Transport-Security":  "max-age=63072000; includeSubDomains; preload",
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "strict-origin-when-cross-origin",
	"X-Frame-Options":            "DENY",
	"Permissions-Policy":         "camera=(), microphone=(), geolocation=(), payment=()",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Content-Security-Policy":    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}

// TestRepositoryVercelJSON checks the real vercel.json through Site: its security headers
// reach static pages, function answers and 404s alike.
func TestRepositoryVercelJSON(t *testing.T) {
	cfg, err := Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRouter([]Route{{Path: "/api/health", Handler: func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}}, {Path: "/api/not-found", Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Function", "not-found")
		w.WriteHeader(http.StatusNotFound)
	}}})
	if err != nil {
		t.Fatal(err)
	}
	public := fstest.MapFS{
		"index.html":      {Data: []byte("home")},
		"app/report.html": {Data: []byte("report")},
		"404.html":        {Data: []byte("lost")},
	}
	site, err := NewSite(cfg, public, rt)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		target string
		status int
	}{
		{"/", http.StatusOK},                   // a static page
		{"/app/reports/42", http.StatusOK},     // the rewrite to /app/report
		{"/api/health", http.StatusOK},         // a function
		{"/no-such-page", http.StatusNotFound}, // public/404.html
		{"/api/no-such", http.StatusNotFound},  // the JSON 404 under /api
		{"/api/health/", http.StatusNotFound},  // not redirected (issue 11, item 16)
		{"/api/health.go", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.target, nil))
		if rec.Code != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.target, rec.Code, tt.status)
		}
		for k, v := range securityHeaders {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", tt.target, k, got, v)
			}
		}
	}
}

// TestRepositoryFunctionSettings checks the settings Vercel gives a function and how it is
// built. (lib/routes checks the settings of every actual function, jobs included.)
func TestRepositoryFunctionSettings(t *testing.T) {
	cfg, err := Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"api/health.go", "api/reports/[id].go"} {
		got, ok := cfg.Functions.For(file)
		if !ok || got.MaxDuration != 10 || got.Memory != 1024 {
			t.Errorf("%s: %+v, want maxDuration 10 and memory 1024", file, got)
		}
	}
	// go-bridge imports aws-lambda-go's RPC mode (net/rpc → html/template), whose reflection
	// makes the linker keep every exported method of go-redis: 17 MB functions instead of 9.
	// Vercel's provided.al2023 runtime never uses that mode, so the tag drops it safely.
	// No inlining outside crypto/... and golang.org/x/crypto/...: 0.68 MB less a function
	// (docs/performance.md, "Build flags").
	const flags = "-trimpath -ldflags '-s -w' -gcflags=all=-l -gcflags=crypto/...= -gcflags=golang.org/x/crypto/...= -tags lambda.norpc"
	if cfg.Build == nil || cfg.Build.Env["GO_BUILD_FLAGS"] != flags {
		t.Errorf("build.env.GO_BUILD_FLAGS = %+v, want %q", cfg.Build, flags)
	}
	// trailingSlash is left out: false would make Vercel answer /api/x/ with a 308 before any
	// function or rewrite of ours could answer JSON (issue 11, item 16).
	if cfg.Framework != nil || !cfg.CleanURLs || cfg.TrailingSlash != nil {
		t.Errorf("framework/cleanUrls/trailingSlash = %v/%v/%v, want null/true/unset", cfg.Framework, cfg.CleanURLs, cfg.TrailingSlash)
	}
}

// Every path under /api that no function serves reaches the not-found function through
// vercel.json's last rewrites, so production answers them with the API's JSON 404 instead
// of Vercel's own page (the local server's fallback is JSON too, which proves nothing).
func TestRepositoryAPINotFoundRewrite(t *testing.T) {
	cfg, err := Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRouter([]Route{
		{Path: "/api/health", Handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }},
		{Path: "/api/reports/item", Handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }},
		{Path: "/api/not-found", Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Function", "not-found")
			w.WriteHeader(http.StatusNotFound)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	site, err := NewSite(cfg, fstest.MapFS{"404.html": {Data: []byte("lost")}}, rt)
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"/api": "not-found", "/api/": "not-found", "/api/no-such": "not-found", "/api/health/": "not-found",
		"/api/a/b/c/": "not-found", "/api/reports/x/": "not-found", "/api/reports/x/y": "not-found",
		"/api/health": "", "/api/reports/x": "", "/api/reports/item": "",
	} {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if got := rec.Header().Get("X-Function"); got != want || (want == "" && rec.Code != 200) {
			t.Errorf("GET %s: %d from %q, want the function %q", target, rec.Code, got, want)
		}
	}
}
