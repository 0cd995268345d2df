package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func readError(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return b
}

type signup struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	Age      *int     `json:"age"`
	Tags     []string `json:"tags"`
	Pet      pet      `json:"pet"`
	secondFactor
}

// secondFactor is embedded as account.SecondFactor is: its fields are the parent's.
type secondFactor struct {
	Code string `json:"code"`
}

// pet decodes itself and fails as lib/period's Spec does, with a *problem.Error.
type pet struct{ Name string }

func (p *pet) UnmarshalJSON(b []byte) error {
	if string(b) != `"cat"` {
		return problem.Unprocessable("invalid_pet", "pet", "Only cats.")
	}
	p.Name = "cat"
	return nil
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name, body, ct string
		status         int
		code, field    string
	}{
		{"ok", `{"email":"a@b.c","password":"x"}`, "application/json", 0, "", ""},
		{"charset ok", `{"email":"a@b.c"}`, "application/json; charset=utf-8", 0, "", ""},
		{"empty", ``, "application/json", 400, "invalid_request", ""},
		{"malformed", `{"email":`, "application/json", 400, "invalid_request", ""},
		{"syntax", `{"email" "x"}`, "application/json", 400, "invalid_request", ""},
		{"unknown field", `{"email":"a","admin":true}`, "application/json", 400, "invalid_request", "admin"},
		{"wrong type", `{"email":42}`, "application/json", 400, "invalid_request", "email"},
		{"wrong type number", `{"age":"old"}`, "application/json", 400, "invalid_request", "age"},
		{"not an object", `[1,2]`, "application/json", 400, "invalid_request", ""},
		{"two values", `{"email":"a"}{"email":"b"}`, "application/json", 400, "invalid_request", ""},
		{"trailing garbage", `{"email":"a"} x`, "application/json", 400, "invalid_request", ""},
		{"form content type", `email=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
		{"too large", `{"email":"` + strings.Repeat("a", MaxBody) + `"}`, "application/json", 413, "too_large", ""},
		{"embedded field", `{"email":"a@b.c","code":"123456"}`, "application/json", 0, "", ""},
		{"valid surrogate pair", `{"email":"a@b.c","password":"\ud83d\ude00"}`, "application/json", 0, "", ""},
		{"own decoder", `{"email":"a@b.c","pet":"cat"}`, "application/json", 0, "", ""},
		{"own decoder's problem", `{"email":"a@b.c","pet":"dog"}`, "application/json", 422, "invalid_pet", "pet"},
		{"wrong type pointer", `{"age":true}`, "application/json", 400, "invalid_request", "age"},
		{"wrong type element", `{"tags":["a",2]}`, "application/json", 400, "invalid_request", "tags"},
		{"whitespace only", ` `, "application/json", 400, "invalid_request", ""},
		// API.md: names are exact, given once, and text is UTF-8 (issue 11, item 13).
		{"name in another case", `{"EMAIL":"a@b.c"}`, "application/json", 400, "invalid_request", "EMAIL"},
		{"embedded name in another case", `{"email":"a@b.c","Code":"1"}`, "application/json", 400, "invalid_request", "Code"},
		{"duplicate name", `{"email":"a@b.c","email":"x@y.z"}`, "application/json", 400, "invalid_request", "email"},
		{"duplicate name, same value", `{"email":"a@b.c","password":"p","email":"a@b.c"}`, "application/json", 400, "invalid_request", "email"},
		{"invalid UTF-8", "{\"email\":\"a@b.c\xff\"}", "application/json", 400, "invalid_request", "email"},
		{"overlong UTF-8", "{\"email\":\"a\xc0\xafb\"}", "application/json", 400, "invalid_request", "email"},
		{"lone high surrogate", `{"email":"a@b.c\ud800"}`, "application/json", 400, "invalid_request", "email"},
		{"lone low surrogate", `{"email":"\udc00a@b.c"}`, "application/json", 400, "invalid_request", "email"},
		{"invalid UTF-8 in a name", "{\"em\xffail\":\"a@b.c\"}", "application/json", 400, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ct)
			rec := httptest.NewRecorder()
			var v signup
			err := Decode(rec, req, &v)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if v.Email != "a@b.c" {
					t.Fatalf("decoded %+v", v)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok {
				t.Fatalf("err = %v, want a problem", err)
			}
			if p.Status != c.status || p.Code != c.code || p.Field != c.field {
				t.Errorf("got %d %s field=%q, want %d %s field=%q", p.Status, p.Code, p.Field, c.status, c.code, c.field)
			}
		})
	}
}

func TestServeMethodNotAllowed(t *testing.T) {
	rec := httptest.NewRecorder()
	called := false
	Serve(rec, httptest.NewRequest(http.MethodPut, "/", nil), Methods{
		http.MethodPost: func(w http.ResponseWriter, r *http.Request) error { called = true; return nil },
		http.MethodGet:  func(w http.ResponseWriter, r *http.Request) error { called = true; return nil },
	})
	if called || rec.Code != 405 || rec.Header().Get("Allow") != "GET, POST" {
		t.Fatalf("called=%v status=%d Allow=%q", called, rec.Code, rec.Header().Get("Allow"))
	}
	if b := readError(t, rec); b.Error.Code != "method_not_allowed" {
		t.Errorf("code = %q", b.Error.Code)
	}
}

func TestServeRendersErrors(t *testing.T) {
	cases := []struct {
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{problem.Invalid("email", "bad"), 400, "invalid_request", ""},
		{problem.RateLimited(1500 * time.Millisecond), 429, "rate_limited", "2"},
		{problem.Unavailable(errors.New("dial tcp: refused")), 503, "unavailable", ""},
		{errors.New("secret internals: password=hunter2"), 500, "internal", ""},
		{fmtWrap(problem.NotFound("gone")), 404, "not_found", ""},
		{fmt.Errorf("fetch: %w", context.DeadlineExceeded), 503, "unavailable", ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil), Methods{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) error { return c.err },
		})
		b := readError(t, rec)
		if rec.Code != c.status || b.Error.Code != c.code || rec.Header().Get("Retry-After") != c.retryAfter {
			t.Errorf("%v: got %d %s Retry-After=%q", c.err, rec.Code, b.Error.Code, rec.Header().Get("Retry-After"))
		}
		if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "dial tcp") {
			t.Errorf("internal cause leaked: %s", rec.Body)
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

// Every request works under its function's deadline: set when Serve starts, job paths longer.
func TestServeSetsTheDeadline(t *testing.T) {
	for path, want := range map[string]time.Duration{"/api/me": RequestDeadline, "/api/reports/item": RequestDeadline, "/api/jobs/tick": JobDeadline} {
		want *= deadlineScale // longer under -race
		var got time.Time
		var ok bool
		before := time.Now()
		Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil), Methods{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) error {
				got, ok = r.Context().Deadline()
				return nil
			},
		})
		after := time.Now()
		if !ok || got.Before(before.Add(want)) || got.After(after.Add(want)) {
			t.Errorf("%s: deadline %v (set: %v), want %v after the call", path, got.Sub(before), ok, want)
		}
	}
}

func TestServeRecoversPanic(t *testing.T) {
	rec := httptest.NewRecorder()
	Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil), Methods{
		http.MethodGet: func(w http.ResponseWriter, r *http.Request) error { panic("nil map write at secret.go:12") },
	})
	b := readError(t, rec)
	if rec.Code != 500 || b.Error.Code != "internal" || strings.Contains(rec.Body.String(), "secret.go") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestServeHeadFallsBackToGet(t *testing.T) {
	rec := httptest.NewRecorder()
	Serve(rec, httptest.NewRequest(http.MethodHead, "/", nil), Methods{
		http.MethodGet: func(w http.ResponseWriter, r *http.Request) error { return JSON(w, 200, map[string]int{"n": 1}) },
	})
	if rec.Code != 200 {
		t.Fatalf("HEAD → %d", rec.Code)
	}
}
