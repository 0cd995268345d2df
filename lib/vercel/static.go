package vercel

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/web"
)

// lookup finds the file of public/ that Vercel serves at the decoded path p. With
// cleanUrls, /signup is signup.html; a folder is served by its index.html, and never
// listed. The path is cleaned first, so no request reaches outside public/.
func (s *Site) lookup(p string) (string, bool) {
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	var candidates []string
	switch {
	case rel == "":
		candidates = []string{"index.html"}
	case s.cfg.CleanURLs:
		candidates = []string{rel + ".html", rel, rel + "/index.html"}
	default:
		candidates = []string{rel, rel + "/index.html"}
	}
	for _, name := range candidates {
		if !fs.ValidPath(name) {
			continue
		}
		if st, err := fs.Stat(s.public, name); err == nil && st.Mode().IsRegular() {
			return name, true
		}
	}
	return "", false
}

// serveFile writes the file name of public/ with status. Static files answer only GET and
// HEAD; ranges and conditional requests are handled for 200s.
func (s *Site) serveFile(w http.ResponseWriter, r *http.Request, name string, status int) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := fs.ReadFile(s.public, name)
	if err != nil {
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "public, max-age=0, must-revalidate") // Vercel's default for static files
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(data)
		}
		return
	}
	var modTime time.Time
	if st, err := fs.Stat(s.public, name); err == nil {
		modTime = st.ModTime()
	}
	http.ServeContent(w, r, name, modTime, bytes.NewReader(compressed(h, r, name, data)))
}

// compressed gzips text files for clients that accept it, as Vercel's edge does (it also
// offers Brotli): without it a page audited locally (scripts/lighthouse.sh) downloads its
// modules and CSS at full size and scores worse than the deployed one. A range request gets
// the file as it is, so that its byte offsets mean what the client thinks.
func compressed(h http.Header, r *http.Request, name string, data []byte) []byte {
	if !compressible(name) {
		return data
	}
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return data
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(data) // a bytes.Buffer does not fail
	_ = zw.Close()
	h.Set("Content-Encoding", "gzip")
	return buf.Bytes()
}

// compressible are the text files; images and fonts are compressed already.
func compressible(name string) bool { return compressibleType(contentType(name)) }

// compressibleType reports whether a Content-Type is text (JSON, XML and JavaScript
// included), which Vercel's CDN compresses.
func compressibleType(ct string) bool {
	ct, _, _ = strings.Cut(strings.ToLower(ct), ";")
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") ||
		strings.Contains(ct, "xml") || strings.HasSuffix(ct, "javascript")
}

// acceptsGzip reads Accept-Encoding: gzip listed without q=0.
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// notFound serves public/404.html with status 404, or a plain 404 when there is none.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	if _, err := fs.Stat(s.public, "404.html"); err == nil {
		s.serveFile(w, r, "404.html", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, "404: NOT_FOUND\n")
}

// apiNotFound answers a path under /api that no function serves. Vercel itself would send
// its own error page here; our API promises JSON everywhere under /api.
func apiNotFound(w http.ResponseWriter, r *http.Request) { web.NotFound(w, r) }

// contentTypes are fixed here rather than read from the machine's mime tables, which
// differ between machines and would make a test pass on one and fail on another.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
	".xml":         "application/xml",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".pdf":         "application/pdf",
	".wasm":        "application/wasm",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}
