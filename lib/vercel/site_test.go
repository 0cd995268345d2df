package vercel

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var testPublic = fstest.MapFS{
	"index.html":      {Data: []byte("<h1>home</h1>")},
	"signup.html":     {Data: []byte("<h1>signup</h1>")},
	"404.html":        {Data: []byte("<h1>lost</h1>")},
	"app/report.html": {Data: []byte("<h1>report</h1>")},
	"docs/index.html": {Data: []byte("<h1>docs</h1>")},
	"style.css":       {Data: []byte("body{}")},
	"app.js":          {Data: []byte("1")},
	"img/logo.svg":    {Data: []byte("<svg/>")},
	"font.woff2":      {Data: []byte("w")},
	"blob.unknownext": {Data: []byte("?")},
}

func newTestSite(t *testing.T, config string, public fstest.MapFS) *Site {
	t.Helper()
	cfg, err := Parse([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRouter([]Route{
		{Path: "/api/health", Handler: echo("health")},
		{Path: "/api/echo", Handler: echo("echo")},
		{Path: "/api/reports/[id]", Handler: echo("report")},
		{Path: "/api/framed", Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSite(cfg, public, rt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const siteConfig = `{
	"cleanUrls": true,
	"trailingSlash": false,
	"rewrites": [
		{"source": "/app/reports/:id", "destination": "/app/report"},
		{"source": "/r/:id", "destination": "/api/reports/:id"},
		{"source": "/q/:id", "destination": "/api/echo"},
		{"source": "/hook", "destination": "/api/health"},
		{"source": "/gone", "destination": "/nowhere"}
	],
	"headers": [
		{"source": "/(.*)", "headers": [{"key": "X-Frame-Options", "value": "DENY"}]},
		{"source": "/docs/:page", "headers": [{"key": "X-Page", "value": "page-:page"}]}
	]
}`

type siteCase struct {
	method, target string
	status         int
	location       string // for redirects
	body           string // substring of the body
	contentType    string // prefix, when set
	headers        bool   // vercel.json's headers expected
}

func runSiteCases(t *testing.T, s http.Handler, cases []siteCase) {
	t.Helper()
	for _, c := range cases {
		method := c.method
		if method == "" {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, "http://localhost"+c.target, nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		name := method + " " + c.target
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d (body %q)", name, rec.Code, c.status, rec.Body)
			continue
		}
		if got := rec.Header().Get("Location"); got != c.location {
			t.Errorf("%s: Location %q, want %q", name, got, c.location)
		}
		if !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("%s: body %q lacks %q", name, rec.Body, c.body)
		}
		if ct := rec.Header().Get("Content-Type"); c.contentType != "" && !strings.HasPrefix(ct, c.contentType) {
			t.Errorf("%s: Content-Type %q, want %q", name, ct, c.contentType)
		}
		if has := rec.Header().Get("X-Frame-Options") != ""; has != c.headers {
			t.Errorf("%s: vercel.json headers present = %v, want %v", name, has, c.headers)
		}
	}
}

func TestSiteCleanURLsAndTrailingSlash(t *testing.T) {
	s := newTestSite(t, siteConfig, testPublic)
	runSiteCases(t, s, []siteCase{
		{target: "/", status: 200, body: "home", contentType: "text/html", headers: true},
		{target: "/signup", status: 200, body: "signup", contentType: "text/html; charset=utf-8", headers: true},
		{target: "/docs", status: 200, body: "docs", headers: true},
		{target: "/app/report", status: 200, body: "report", headers: true},
		// cleanUrls and trailingSlash redirects come before the headers routes on Vercel.
		{target: "/signup.html", status: 308, location: "/signup"},
		{target: "/signup.html?next=%2Fapp", status: 308, location: "/signup?next=%2Fapp"},
		{target: "/signup/", status: 308, location: "/signup"},
		{target: "/index", status: 308, location: "/"},
		{target: "/index.html", status: 308, location: "/"},
		{target: "/docs/", status: 308, location: "/docs"},
		{target: "/docs/index", status: 308, location: "/docs"},
		{target: "/docs/index.html", status: 308, location: "/docs"},
		{target: "//evil.example/", status: 308, location: "/evil.example"},
		// Nothing under /api is redirected (ExemptAPIFromRedirects): JSON 404s, with headers.
		{target: "/api/health/", status: 404, contentType: "application/json", headers: true},
		{target: "/api/index", status: 404, contentType: "application/json", headers: true},
		{target: "/api/health.go", status: 404, contentType: "application/json", headers: true},
		{target: "/api/x/index.go", status: 404, contentType: "application/json", headers: true},
		{target: "/api/health.html", status: 404, contentType: "application/json", headers: true},
	})
}

func TestSiteStaticFiles(t *testing.T) {
	s := newTestSite(t, siteConfig, testPublic)
	runSiteCases(t, s, []siteCase{
		{target: "/style.css", status: 200, body: "body{}", contentType: "text/css", headers: true},
		{target: "/app.js", status: 200, contentType: "text/javascript", headers: true},
		{target: "/img/logo.svg", status: 200, contentType: "image/svg+xml", headers: true},
		{target: "/font.woff2", status: 200, contentType: "font/woff2", headers: true},
		{target: "/blob.unknownext", status: 200, contentType: "application/octet-stream", headers: true},
		{target: "/img", status: 404, body: "lost", contentType: "text/html", headers: true}, // no listing
		{target: "/nope", status: 404, body: "lost", contentType: "text/html", headers: true},
		{method: http.MethodHead, target: "/", status: 200, headers: true},
		{method: http.MethodPost, target: "/signup", status: 405, headers: true},
	})
}

func TestSiteRewritesAndFunctions(t *testing.T) {
	s := newTestSite(t, siteConfig, testPublic)
	runSiteCases(t, s, []siteCase{
		{target: "/api/health", status: 200, body: "health ", headers: true},
		{target: "/api/reports/7", status: 200, body: "report id=7", headers: true},
		{target: "/api/nope", status: 404, body: `"code":"not_found"`, contentType: "application/json", headers: true},
		{target: "/api", status: 404, body: `"not_found"`, headers: true},
		{target: "/app/reports/42", status: 200, body: "report", headers: true},
		{target: "/app/reports/42/", status: 308, location: "/app/reports/42"},
		{target: "/r/9", status: 200, body: "report id=9", headers: true},
		{target: "/q/5", status: 200, body: "echo id=5", headers: true},      // unused parameters become query
		{target: "/q/5?id=x", status: 200, body: "echo id=x", headers: true}, // and the client's win
		{target: "/hook", status: 200, body: "health", headers: true},
		{target: "/gone", status: 404, body: "lost", headers: true},
	})
}

func TestSiteHeaders(t *testing.T) {
	s := newTestSite(t, siteConfig, testPublic)
	for target, want := range map[string]string{
		"/docs/intro": "page-intro", // a 404, with the named parameter substituted
		"/docs":       "",
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if got := rec.Header().Get("X-Page"); got != want {
			t.Errorf("%s: X-Page = %q, want %q", target, got, want)
		}
	}
	// A function may override a vercel.json header, as it can on Vercel.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/framed", nil))
	if got := rec.Header().Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("/api/framed: X-Frame-Options = %q, want the function's own", got)
	}
}

func TestSiteWithoutCleanURLs(t *testing.T) {
	public := fstest.MapFS{"signup.html": {Data: []byte("signup")}, "docs/index.html": {Data: []byte("docs")}}
	s := newTestSite(t, `{"trailingSlash": true}`, public)
	runSiteCases(t, s, []siteCase{
		{target: "/signup.html", status: 200, body: "signup"},
		{target: "/signup", status: 308, location: "/signup/"},
		{target: "/signup/", status: 404, body: "NOT_FOUND", contentType: "text/plain"}, // no 404.html
		{target: "/signup.html/", status: 308, location: "/signup.html"},
		{target: "/docs/", status: 200, body: "docs"},
		{target: "/.well-known/x", status: 404},
		{target: "/api/health/", status: 200, body: "health"},
		{target: "/api/health.go", status: 200, body: "health"}, // Vercel's "miss" rewrite
	})
	s = newTestSite(t, `{"cleanUrls": true, "trailingSlash": true}`, public)
	runSiteCases(t, s, []siteCase{
		{target: "/signup", status: 308, location: "/signup/"},
		{target: "/signup.html", status: 308, location: "/signup/"},
		{target: "/signup/", status: 200, body: "signup"},
		{target: "/docs/index.html", status: 308, location: "/docs/"},
		{target: "/index.html", status: 308, location: "/"},
		{target: "/api/health", status: 200, body: "health"}, // no redirect under /api
		{target: "/api/health.go", status: 404, contentType: "application/json"},
		{target: "/api/health/", status: 200, body: "health"},
		{target: "/api/reports/3/", status: 200, body: "report id=3"},
	})
	s = newTestSite(t, `{}`, public)
	runSiteCases(t, s, []siteCase{
		{target: "/docs", status: 200, body: "docs"},
		{target: "/docs/", status: 200, body: "docs"},
		{target: "/signup", status: 404},
	})
}

// TestSiteStaysInsidePublic serves a real folder whose parent holds a secret.
func TestSiteStaysInsidePublic(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "public", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"secret.txt": "SECRET", "public/index.html": "home", "public/404.html": "lost"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Parse([]byte(`{"cleanUrls": true, "trailingSlash": false}`))
	if err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(root, "public")
	for name, fsys := range map[string]fs.FS{"os.DirFS": os.DirFS(public), "naive": naiveFS(public)} {
		s, err := NewSite(cfg, fsys, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{
			"/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt",
			"/a/%2e%2e/%2e%2e/secret.txt", "/..", "/../secret", "/a/..%5c..%5csecret.txt",
		} {
			u, err := url.ParseRequestURI(target) // unlike URL.Parse, keeps the dots
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL, req.RequestURI = u, target
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if strings.Contains(rec.Body.String(), "SECRET") {
				t.Errorf("%s: %s served the secret (status %d)", name, target, rec.Code)
			}
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Body.String() != "home" {
			t.Errorf("%s: / = %q, want the index (the test would prove nothing)", name, rec.Body)
		}
	}
	s, err := NewSite(cfg, os.DirFS(public), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without a Router, /api answers the JSON 404 rather than panicking.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/x", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not_found") {
		t.Errorf("/api/x without functions = %d %q", rec.Code, rec.Body)
	}
}

// naiveFS opens whatever it is asked, dot-dot included, so that only Site's own checks
// stand between a request and the rest of the disk.
type naiveFS string

func (d naiveFS) Open(name string) (fs.File, error) {
	return os.Open(filepath.Join(string(d), name))
}

// Text files go out gzipped to clients that accept it, as from Vercel's edge; a range
// request, a client that refuses gzip, and an image get the bytes as they are.
func TestStaticGzip(t *testing.T) {
	css := strings.Repeat("body { color: #222; }\n", 200)
	s := newTestSite(t, siteConfig, fstest.MapFS{"style.css": {Data: []byte(css)}, "logo.png": {Data: []byte("png")}})
	get := func(target, accept, rng string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept-Encoding", accept)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/style.css", "gzip, deflate, br", "")
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" || rec.Body.Len() >= len(css)/4 {
		t.Fatalf("gzip: %d %v, %d bytes of %d", rec.Code, rec.Header(), rec.Body.Len(), len(css))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != css {
		t.Fatal("gzipped body is not the file")
	}
	for _, c := range [][3]string{{"/style.css", "", ""}, {"/style.css", "gzip;q=0, identity", ""}, {"/style.css", "gzip", "bytes=0-9"}, {"/logo.png", "gzip", ""}} {
		rec := get(c[0], c[1], c[2])
		if rec.Header().Get("Content-Encoding") != "" || (c[2] == "" && rec.Body.String() != map[string]string{"/style.css": css, "/logo.png": "png"}[c[0]]) {
			t.Errorf("%v: encoding %q, %d bytes", c, rec.Header().Get("Content-Encoding"), rec.Body.Len())
		}
	}
}

// What a function answers goes out gzipped too, as Vercel's CDN compresses every text
// response (vercel.com/docs/compression), also behind a rewrite; a client that does not ask,
// a HEAD, a 204 and a body the function encoded itself pass as they are.
func TestFunctionResponsesGzip(t *testing.T) {
	body := strings.Repeat(`{"metric":"sessions","value":12345},`, 100)
	cfg, _ := Parse([]byte(siteConfig))
	rt, err := NewRouter([]Route{
		{Path: "/api/echo", Handler: func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("as") {
			case "encoded":
				w.Header().Set("Content-Encoding", "br")
			case "empty":
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSite(cfg, fstest.MapFS{}, rt)
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, target, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		req.Header.Set("Accept-Encoding", accept)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for _, target := range []string{"/api/echo", "/q/1"} {
		rec := get(http.MethodGet, target, "gzip, deflate, br")
		if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" || rec.Body.Len() >= len(body)/4 {
			t.Fatalf("%s: %d %v, %d bytes of %d", target, rec.Code, rec.Header(), rec.Body.Len(), len(body))
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(zr); string(got) != body {
			t.Fatalf("%s: gunzipped body is not the function's", target)
		}
	}
	for _, c := range [][3]string{{"GET", "/api/echo", ""}, {"HEAD", "/api/echo", "gzip"}, {"GET", "/api/echo?as=empty", "gzip"}, {"GET", "/api/echo?as=encoded", "gzip"}} {
		rec := get(c[0], c[1], c[2])
		if enc := rec.Header().Get("Content-Encoding"); enc == "gzip" || (c[0] == "GET" && rec.Code == 200 && rec.Body.String() != body) {
			t.Errorf("%v: %d, encoding %q, %d bytes", c, rec.Code, enc, rec.Body.Len())
		}
	}
}
