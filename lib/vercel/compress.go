package vercel

import (
	"compress/gzip"
	"net/http"
	"strings"
)

// gzipResponses compresses what a function answers, as Vercel's CDN does for every response
// of a compressible type when the client sends Accept-Encoding (vercel.com/docs/compression:
// json is on its list; it also offers Brotli, which the standard library cannot encode).
// The functions never compress: deployed, the CDN does it, so this lives here in the local
// server's copy of the platform. Static files arrive encoded already (serveFile) and pass
// through, as does a range request, whose offsets must mean what the client thinks.
func gzipResponses(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	accept := r.Method != http.MethodHead && r.Header.Get("Range") == "" && acceptsGzip(r.Header.Get("Accept-Encoding"))
	gw := &gzipWriter{ResponseWriter: w, accept: accept}
	return gw, gw.close
}

// gzipWriter decides at the status line: a text body the handler has not encoded itself is
// gzipped for a client that accepts it; anything else passes through untouched.
type gzipWriter struct {
	http.ResponseWriter
	accept  bool
	zw      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if !g.decided {
		g.decided = true
		g.decide(status)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) decide(status int) {
	h := g.Header()
	if h.Get("Content-Encoding") != "" || !compressibleType(h.Get("Content-Type")) {
		return
	}
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding") {
		h.Add("Vary", "Accept-Encoding")
	}
	if g.accept && status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.zw = gzip.NewWriter(g.ResponseWriter)
	}
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(p)) // what net/http would send
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw == nil {
		return g.ResponseWriter.Write(p)
	}
	return g.zw.Write(p)
}

// close ends the gzip stream once the handler has returned.
func (g *gzipWriter) close() {
	if g.zw != nil {
		_ = g.zw.Close() // fails only when the client went away: no one left to tell
	}
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
