package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// captureLog sends slog's default logger to a buffer for the test (tests using it are not
// parallel: the default logger is process-wide).
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// A client that disconnects mid-request cancels the request's context; whatever error the
// work then returns because of it (context.Canceled, bare or wrapped as internal or
// unavailable by the store) is the client's doing, not a server failure: one INFO line with status
// 499, no ERROR.
func TestClientGoneIsNotAnError(t *testing.T) {
	for _, returned := range []error{
		context.Canceled,
		problem.Internal(fmt.Errorf("redis: %w", context.Canceled)),
		problem.Unavailable(fmt.Errorf("redis: %w", context.Canceled)),
	} {
		logs := captureLog(t)
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequest(http.MethodGet, "/api/reports", nil).WithContext(ctx)
		Serve(httptest.NewRecorder(), req, Methods{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) error {
				cancel() // the client hangs up while the handler works
				<-r.Context().Done()
				return returned
			},
		})
		out := logs.String()
		if strings.Contains(out, "level=ERROR") || !strings.Contains(out, `level=INFO msg="client went away"`) || !strings.Contains(out, "status=499") {
			t.Errorf("%v: log = %q, want one INFO client went away with status=499", returned, out)
		}
	}
}

// A cancellation the client did not cause (the request is still live) stays an internal
// error, and so does a failure that is not a cancellation even if the client has left: only
// both together mean "the client went away", so no real failure is hidden.
func TestOtherFailuresStayErrors(t *testing.T) {
	live := func(r *http.Request) *http.Request { return r }
	gone := func(r *http.Request) *http.Request {
		ctx, cancel := context.WithCancel(r.Context())
		cancel()
		return r.WithContext(ctx)
	}
	for name, c := range map[string]struct {
		req func(*http.Request) *http.Request
		err error
	}{
		"canceled, client waiting": {live, problem.Internal(fmt.Errorf("fan-out: %w", context.Canceled))},
		"client gone, other error": {gone, errors.New("hset: WRONGTYPE")},
	} {
		logs := captureLog(t)
		rec := httptest.NewRecorder()
		Serve(rec, c.req(httptest.NewRequest(http.MethodGet, "/api/reports", nil)), Methods{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) error { return c.err },
		})
		if rec.Code != 500 || !strings.Contains(logs.String(), `level=ERROR msg="request failed"`) || strings.Contains(logs.String(), "client went away") {
			t.Errorf("%s: status %d, log = %q", name, rec.Code, logs)
		}
	}
}
