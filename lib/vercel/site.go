package vercel

import (
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Site serves a whole project as Vercel does: the files of public/ and the functions of a
// Router, with vercel.json's cleanUrls, trailingSlash, rewrites and headers. It follows the
// order of the routes `vercel build` writes to .vercel/output/config.json:
//
//  1. cleanUrls and trailingSlash redirects (308), none under /api (ExemptAPIFromRedirects);
//  2. the `headers` rules, which then apply to every answer below, 404s and functions alike;
//  3. redirects of /api/x.go and /api/x/index to /api/x (cleanUrls), exempted the same way;
//  4. the filesystem: a static file, or a function at exactly that path;
//  5. the rewrites, each checked against the filesystem in turn;
//  6. dynamic functions (/api/reports/[id]), then a JSON 404 for anything under /api;
//  7. public/404.html with status 404.
type Site struct {
	cfg      *Config
	public   fs.FS
	api      *Router
	rewrites []rewrite
	headers  []headerRule
}

type rewrite struct {
	pattern *Pattern
	dest    string
}

type headerRule struct {
	pattern *Pattern
	headers []Header
	named   bool // the source has named parameters, so values may refer to them
}

// NewSite builds the handler for cfg, serving static files from public and functions
// from api (which may be nil when there are none).
func NewSite(cfg *Config, public fs.FS, api *Router) (*Site, error) {
	s := &Site{cfg: cfg, public: public, api: api}
	for _, rw := range cfg.Rewrites {
		p, err := CompilePattern(rw.Source)
		if err != nil {
			return nil, err
		}
		s.rewrites = append(s.rewrites, rewrite{pattern: p, dest: rw.Destination})
	}
	for _, h := range cfg.Headers {
		p, err := CompilePattern(h.Source)
		if err != nil {
			return nil, err
		}
		named := false
		for _, k := range p.keys {
			named = named || k != ""
		}
		s.headers = append(s.headers, headerRule{pattern: p, headers: h.Headers, named: named})
	}
	return s, nil
}

// The redirects Vercel generates (@vercel/routing-utils and the CLI's detectBuilders).
var (
	cleanIndex    = regexp.MustCompile(`^/(?:(.+)/)?index(?:\.html)?/?$`)
	cleanHTML     = regexp.MustCompile(`^/(.*)\.html/?$`)
	slashDrop     = regexp.MustCompile(`^/(.*)/$`)
	slashAdd      = regexp.MustCompile(`^/((?:[^/]+/)*[^/.]+)$`)
	slashDropFile = regexp.MustCompile(`^/((?:[^/]+/)*[^/]+\.\w+)/$`)
	wellKnown     = regexp.MustCompile(`^/\.well-known(?:/.*)?$`)
	cleanAPIIndex = regexp.MustCompile(`^/(api(?:.+)?)/index(?:\.go)?/?$`)
	cleanAPIExt   = regexp.MustCompile(`^/api/(.+)\.go/?$`)
	uncleanAPIExt = regexp.MustCompile(`^/api/(.+)\.go$`)
)

// ServeHTTP answers r as the deployment would: the output of `vercel build` with
// ExemptAPIFromRedirects applied (scripts/vercel-build.sh), so nothing under /api is redirected.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	api := NoRedirectsUnderAPI(unescapePath(raw))
	if loc, ok := s.canonical(raw); ok && !api {
		redirect(w, r, loc)
		return
	}
	s.addHeaders(w.Header(), raw)
	if s.cfg.CleanURLs && !api {
		if m := cleanAPIIndex.FindStringSubmatch(raw); m != nil {
			redirect(w, r, s.slash("/"+m[1]))
			return
		}
		if m := cleanAPIExt.FindStringSubmatch(raw); m != nil {
			redirect(w, r, s.slash("/api/"+m[1]))
			return
		}
	}
	w, done := gzipResponses(w, r)
	defer done()
	s.route(w, r, raw)
}

// canonical returns where the cleanUrls and trailingSlash routes redirect raw, if they do.
func (s *Site) canonical(raw string) (string, bool) {
	if s.cfg.CleanURLs {
		if m := cleanIndex.FindStringSubmatch(raw); m != nil {
			return s.slash("/" + m[1]), true
		}
		if m := cleanHTML.FindStringSubmatch(raw); m != nil {
			return s.slash("/" + m[1]), true
		}
	}
	switch ts := s.cfg.TrailingSlash; {
	case ts == nil:
	case !*ts:
		if m := slashDrop.FindStringSubmatch(raw); m != nil {
			return "/" + m[1], true
		}
	case wellKnown.MatchString(raw):
	case slashAdd.MatchString(raw):
		return raw + "/", true
	default:
		if m := slashDropFile.FindStringSubmatch(raw); m != nil {
			return "/" + m[1], true
		}
	}
	return "", false
}

// slash gives a redirect target the trailing slash that trailingSlash: true asks for.
func (s *Site) slash(loc string) string {
	if ts := s.cfg.TrailingSlash; ts != nil && *ts && !strings.HasSuffix(loc, "/") {
		return loc + "/"
	}
	return loc
}

// addHeaders sets the headers of every matching rule; a later rule wins for a given key,
// and a function may still override them, as on Vercel.
func (s *Site) addHeaders(h http.Header, raw string) {
	for _, rule := range s.headers {
		c, ok := rule.pattern.Match(raw)
		if !ok {
			continue
		}
		for _, kv := range rule.headers {
			key, value := kv.Key, kv.Value
			if rule.named {
				key, value = c.Expand(key), c.Expand(value)
			}
			h.Set(key, value)
		}
	}
}

// route runs the filesystem, rewrite and error phases for a request at raw.
func (s *Site) route(w http.ResponseWriter, r *http.Request, raw string) {
	if s.serveExisting(w, r, raw) {
		return
	}
	for _, rw := range s.rewrites {
		c, ok := rw.pattern.Match(raw)
		if !ok {
			continue
		}
		dest, query, _ := strings.Cut(c.Expand(rw.dest), "?")
		if !usesParam(rw.dest, c) {
			// Vercel passes the source's parameters on as query parameters when the
			// destination does not use them: /app/reports/42 → /app/report?id=42.
			for _, kv := range c.Named() {
				if q, _ := url.ParseQuery(query); !q.Has(kv[0]) {
					query = joinQuery(query, kv[0]+"="+kv[1])
				}
			}
		}
		r, raw = withQuery(r, query), dest
		if s.serveExisting(w, r, raw) {
			return
		}
	}
	if isAPI(unescapePath(raw)) {
		raw = s.trimSlash(raw)
		if !s.cfg.CleanURLs {
			if m := uncleanAPIExt.FindStringSubmatch(raw); m != nil && s.api.dispatch(w, r, "/api/"+m[1]) {
				return
			}
		}
		if !s.api.dispatch(w, r, raw) {
			apiNotFound(w, r)
		}
		return
	}
	s.notFound(w, r)
}

// serveExisting serves what the filesystem phase finds at raw: a function at exactly that
// path, or a static file. Everything under /api belongs to the functions.
func (s *Site) serveExisting(w http.ResponseWriter, r *http.Request, raw string) bool {
	p := unescapePath(raw)
	if isAPI(p) {
		if h := s.api.exact(s.trimSlash(p)); h != nil {
			h.ServeHTTP(w, r)
			return true
		}
		return false
	}
	name, ok := s.lookup(p)
	if ok {
		s.serveFile(w, r, name, http.StatusOK)
	}
	return ok
}

// trimSlash drops one trailing slash: with trailingSlash: true, Vercel redirects /api/x to
// /api/x/ and must then find the function there. Otherwise /api/x/ is not the function's
// path: the filesystem phase finds nothing there and the rewrites (our JSON 404) decide.
func (s *Site) trimSlash(p string) string {
	if ts := s.cfg.TrailingSlash; ts != nil && *ts && len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

func isAPI(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// usesParam reports whether dest refers to one of c's named parameters as `:name`.
func usesParam(dest string, c Captures) bool {
	for _, kv := range c.Named() {
		if i := strings.Index(dest, ":"+kv[0]); i >= 0 {
			end := i + 1 + len(kv[0])
			if end == len(dest) || !isWordChar(dest[end]) {
				return true
			}
		}
	}
	return false
}

func joinQuery(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}

// redirect answers 308 to loc, keeping the query string. Leading slashes are collapsed:
// "//evil.example/" minus its trailing slash must not become a protocol-relative URL.
func redirect(w http.ResponseWriter, r *http.Request, loc string) {
	loc = "/" + strings.TrimLeft(loc, "/")
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusPermanentRedirect)
}
