// Package web holds the HTTP plumbing every function shares: one way to decode a JSON request,
// one way to write a JSON answer, one place where errors become API.md's error envelope, and
// the method dispatch (with panic recovery) that each api/ file starts with.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// MaxBody is the largest request body any endpoint accepts (API.md: over 64 KiB is 413).
const MaxBody = 64 << 10

// Deadlines end a request's work a second before Vercel would stop its function (the
// maxDuration of vercel.json's functions: 10 s, 60 s for api/jobs), so work still in flight
// fails as a JSON 503 the client or QStash can retry, instead of a killed function. A
// lib/routes test holds every function's deadline under its maxDuration.
const (
	RequestDeadline = 9 * time.Second
	JobDeadline     = 59 * time.Second
)

// DeadlineFor is the deadline of a request to path.
func DeadlineFor(path string) time.Duration {
	if strings.HasPrefix(path, "/api/jobs/") {
		return JobDeadline
	}
	return RequestDeadline
}

// HandlerFunc is an endpoint that reports failure by returning an error; Serve renders it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Methods maps an HTTP method to the function serving it.
type Methods map[string]HandlerFunc

// Serve dispatches r by method, with the request's deadline (DeadlineFor) on its context,
// answers 405 with Allow for any other method, renders a returned error as JSON, and turns a
// panic into a JSON 500 that reveals nothing.
func Serve(w http.ResponseWriter, r *http.Request, m Methods) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			Error(w, r, problem.Internal(fmt.Errorf("panic: %v", v)))
		}
	}()
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if !ok {
		allow := make([]string, 0, len(m))
		for method := range m {
			allow = append(allow, method)
		}
		sort.Strings(allow)
		Error(w, r, problem.MethodNotAllowed(allow...))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), deadlineScale*DeadlineFor(r.URL.Path))
	defer cancel()
	if err := h(w, r.WithContext(ctx)); err != nil {
		Error(w, r, err)
	}
}

type envelope struct {
	Error body `json:"error"`
}

type body struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// StatusClientClosed is the status logged (never sent: no one is left to read it) for a
// request whose client disconnected before the answer, as nginx's 499 "client closed request".
const StatusClientClosed = 499

// Error writes err as API.md's error envelope. An error that is not a *problem.Error is a
// 500 whose cause is logged and never sent. Server errors are logged; client errors are not.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	switch {
	case clientGone(r, err):
		// Not a failure of ours: logging it as one (ERROR, code=internal) buries real
		// failures under noise. The answer is still written; it reaches no one.
		slog.Info("client went away", "method", r.Method, "path", r.URL.Path, "status", StatusClientClosed, "code", p.Code)
	case p.Status >= 500:
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", p.Code, "cause", fmt.Sprint(p.Cause))
	}
	h := w.Header()
	if len(p.Allow) > 0 {
		h.Set("Allow", strings.Join(p.Allow, ", "))
	}
	if p.RetryAfter > 0 {
		secs := int64((p.RetryAfter + 999_999_999) / 1_000_000_000)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	h.Set("Cache-Control", "no-store")
	JSON(w, p.Status, envelope{body{Code: p.Code, Message: p.Message, Field: p.Field}})
}

func problemOf(err error) *problem.Error {
	if p, ok := problem.As(err); ok {
		return p
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return problem.Unavailable(err) // the request's deadline: a dependency was too slow
	}
	return problem.Internal(err)
}

// clientGone reports whether err is the cancellation caused by r's client disconnecting: the
// server cancels a request's context when its connection closes (or its HTTP/2 stream is
// reset). Both must hold, so a cancellation of our own, or a real failure that merely
// happened after the client left, is still logged as an error.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled)
}

// JSON encodes v into a buffer first, so that an encoding failure still yields a clean 500,
// then writes the headers and the body. It returns nil so handlers can `return web.JSON(...)`.
func JSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		slog.Error("encode response", "err", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"code":"internal","message":"Something went wrong on our side. Please try again."}}`+"\n")
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// NoContent answers 204.
func NoContent(w http.ResponseWriter) error {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RouteParam returns the segment a vercel.json rewrite captured from the request path for
// the function at funcPath: /api/reports/{id} is rewritten to /api/reports/item?id={id}. The
// platform lays the client's own query over the rewrite's (a client's ?id= wins), so the
// query alone would let `/api/reports/X?id=Y` act on Y: the path wins. When the function sees
// the requested path, the id is its segment and a query name that disagrees, or is repeated,
// is a 400; when it sees its own path, the name must appear exactly once.
func RouteParam(r *http.Request, funcPath, name string) (string, error) {
	query := r.URL.Query()[name]
	dir, self := path.Split(funcPath)
	seg, ok := strings.CutPrefix(r.URL.EscapedPath(), dir)
	seg, err := url.PathUnescape(seg)
	if ok && err == nil && seg != "" && seg != self && !strings.Contains(seg, "/") {
		if len(query) > 1 || len(query) == 1 && query[0] != seg {
			return "", problem.Invalid(name, fmt.Sprintf("The %s comes from the path; a different ?%s= is refused.", name, name))
		}
		return seg, nil
	}
	if len(query) != 1 || query[0] == "" {
		return "", problem.Invalid(name, fmt.Sprintf("Exactly one %s is required.", name))
	}
	return query[0], nil
}

// NotFound answers the JSON 404 for a path no function serves.
func NotFound(w http.ResponseWriter, r *http.Request) {
	Error(w, r, problem.NotFound("No endpoint at this path."))
}

// Client is who sent a request, as recorded in sessions and the security log.
type Client struct {
	IP        string
	UserAgent string
	// Device is the request's device cookie (DeviceCookie), "" without one: lib/device
	// tells from it whether a sign-in comes from a device the account has used.
	Device string
}

// DeviceCookie names the long-lived random id lib/device sets at sign-in. It says nothing
// by itself; only the account's list of known devices gives it meaning.
const DeviceCookie = "mq_device"

// System is the Client the security log names for what Metriqs does on its own (a job).
var System = Client{UserAgent: "Metriqs (automatic)"}

// ClientOf reads the caller's address and user agent. On Vercel the edge sets X-Real-IP to the
// connecting address and overwrites any value the client sent; the local server does the same,
// so the header can be trusted here.
func ClientOf(r *http.Request) Client {
	ip := r.Header.Get("X-Real-IP")
	if ip == "" {
		ip = r.RemoteAddr
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
	}
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	var dev string
	if ck, err := r.Cookie(DeviceCookie); err == nil {
		dev = ck.Value
	}
	return Client{IP: ip, UserAgent: ua, Device: dev}
}

// CheckOrigin refuses a state-changing request that a browser sent from another site (login
// CSRF and its relatives). Browsers send Origin on every cross-origin POST and Sec-Fetch-Site
// on every request; scripts and curl send neither and are not a CSRF vector, so a request
// without both passes. appURL is the configured origin, never the request's Host header.
func CheckOrigin(r *http.Request, appURL string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return problem.New(http.StatusForbidden, "csrf_rejected", "This request came from another site and was refused.")
	}
	if origin := r.Header.Get("Origin"); origin != "" && !strings.EqualFold(origin, appURL) {
		return problem.New(http.StatusForbidden, "csrf_rejected", "This request came from another site and was refused.")
	}
	return nil
}

// Buffer is where a download is written before anything is sent.
type Buffer = *bytes.Buffer

// CSV writes a text/csv download under the name write returns. The body is produced into a buffer first,
// so a failure halfway still becomes a clean JSON error instead of a truncated file.
func CSV(w http.ResponseWriter, write func(Buffer) (filename string, err error)) error {
	var buf bytes.Buffer
	filename, err := write(&buf)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	// RFC 6266: a plain ASCII name for every client, and the exact name (RFC 5987) for those
	// that read filename*.
	h.Set("Content-Disposition", `attachment; filename="`+strings.Map(safeFilename, filename)+`"; filename*=UTF-8''`+url.PathEscape(filename))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func safeFilename(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
		return r
	}
	return '_'
}
