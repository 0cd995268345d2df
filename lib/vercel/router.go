package vercel

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/trymetriqs/metriqs/lib/web"
)

// Route is one Vercel function: the path it serves and the handler behind it.
type Route struct {
	// Path is the URL path, with `[name]` for a dynamic segment: "/api/reports/[id]".
	Path string
	// File is the function's source, slash-separated, relative to the project root.
	File    string
	Handler http.HandlerFunc
	// Import and Func name the handler's package and function. Scan fills them for
	// Generate; the generated table leaves them out.
	Import string
	Func   string
}

// Router dispatches requests to functions the way Vercel does: a path that names a
// function exactly wins, then dynamic routes are tried in Vercel's order, and anything
// else is a JSON 404.
type Router struct {
	static  map[string]http.Handler
	dynamic []dynamicRoute
}

type dynamicRoute struct {
	path     string
	segments []string // a segment "[id]" captures; any other must be equal
	handler  http.Handler
}

// NewRouter builds a Router. It refuses routes that Vercel's build would refuse too.
func NewRouter(routes []Route) (*Router, error) {
	rt := &Router{static: map[string]http.Handler{}}
	shapes := map[string]string{}
	for _, r := range routes {
		if r.Handler == nil {
			return nil, fmt.Errorf("route %s has no handler", r.Path)
		}
		segs, err := splitRoute(r.Path)
		if err != nil {
			return nil, err
		}
		shape := routeShape(segs)
		if prev, ok := shapes[shape]; ok {
			return nil, fmt.Errorf("routes %s and %s serve the same paths", prev, r.Path)
		}
		shapes[shape] = r.Path
		if shape == r.Path {
			rt.static[r.Path] = r.Handler
			continue
		}
		rt.dynamic = append(rt.dynamic, dynamicRoute{path: r.Path, segments: segs, handler: r.Handler})
	}
	sort.SliceStable(rt.dynamic, func(i, j int) bool {
		return vercelBefore(rt.dynamic[i].segments, rt.dynamic[j].segments, rt.dynamic[i].path, rt.dynamic[j].path)
	})
	return rt, nil
}

// splitRoute checks a route path and returns its segments after the leading slash.
func splitRoute(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") && p != "/" {
		return nil, fmt.Errorf("route path %q must start and not end with /", p)
	}
	segs := strings.Split(p[1:], "/")
	for _, s := range segs {
		if s == "" && p != "/" {
			return nil, fmt.Errorf("route path %q has an empty segment", p)
		}
		if strings.HasPrefix(s, "[") != strings.HasSuffix(s, "]") || s == "[]" {
			return nil, fmt.Errorf("route path %q has a malformed dynamic segment %q", p, s)
		}
	}
	return segs, nil
}

func isDynamic(seg string) bool { return len(seg) > 2 && seg[0] == '[' && seg[len(seg)-1] == ']' }

// routeShape replaces every parameter name by the same marker, so that "/a/[x]" and
// "/a/[y]" compare equal, as Vercel's "conflicting paths" check sees them.
func routeShape(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		if isDynamic(s) {
			s = "[]"
		}
		b.WriteString(s)
	}
	return b.String()
}

// vercelBefore orders dynamic routes as the CLI's sortFilesBySegmentCount does: more
// segments first, then fewer trailing dynamic segments, then by name.
func vercelBefore(a, b []string, pa, pb string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	if ta, tb := trailingDynamic(a), trailingDynamic(b); ta != tb {
		return ta < tb
	}
	return pa < pb
}

func trailingDynamic(segs []string) int {
	n := 0
	for _, s := range segs {
		if isDynamic(s) {
			n++
		} else {
			n = 0
		}
	}
	return n
}

// ServeHTTP serves r from the function at its path, or answers a JSON 404.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !rt.dispatch(w, r, r.URL.EscapedPath()) {
		web.NotFound(w, r)
	}
}

// dispatch serves r from the function for escapedPath (which a rewrite may have made
// different from r's own path), reporting whether one exists.
func (rt *Router) dispatch(w http.ResponseWriter, r *http.Request, escapedPath string) bool {
	if h := rt.exact(unescapePath(escapedPath)); h != nil {
		h.ServeHTTP(w, r)
		return true
	}
	return rt.serveDynamic(w, r, escapedPath)
}

// exact returns the function whose path is exactly p: what Vercel's filesystem phase finds.
func (rt *Router) exact(p string) http.Handler {
	if rt == nil {
		return nil
	}
	return rt.static[p]
}

// serveDynamic serves r from the first dynamic route that matches, reporting whether one
// did. Vercel's generated route is `^/api/reports/([^/]+)$ → ?id=$1`: the raw segment is
// pasted into a query string, and the request's own query is laid over it afterwards, so
// `?id=` from the client wins over the path. Handlers must treat the value as untrusted.
func (rt *Router) serveDynamic(w http.ResponseWriter, r *http.Request, escapedPath string) bool {
	if rt == nil {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, d := range rt.dynamic {
		if params, ok := d.match(segs); ok {
			d.handler.ServeHTTP(w, withQuery(r, params))
			return true
		}
	}
	return false
}

// match returns the route's destination query for segs ("id=<raw segment>&...").
func (d dynamicRoute) match(segs []string) (string, bool) {
	if len(d.segments) != len(segs) {
		return "", false
	}
	var params []string
	for i, s := range d.segments {
		switch {
		case isDynamic(s):
			if segs[i] == "" {
				return "", false
			}
			params = append(params, s[1:len(s)-1]+"="+segs[i])
		case unescapePath(segs[i]) != s:
			return "", false
		}
	}
	return strings.Join(params, "&"), true
}

func unescapePath(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// withQuery returns r with the parameters of a route destination added to its query, the
// request's own parameters winning, as Vercel merges them.
func withQuery(r *http.Request, destQuery string) *http.Request {
	if destQuery == "" {
		return r
	}
	q, _ := url.ParseQuery(destQuery)
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	return r2
}
