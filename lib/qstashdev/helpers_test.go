package qstashdev_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/upstash/qstash-go"

	"github.com/trymetriqs/metriqs/lib/qstashdev"
)

const (
	testToken   = "test-token"
	testCurrent = "sig_current_test_key"
	testNext    = "sig_next_test_key"
)

// standIn runs a stand-in on its own listener and returns it with a qstash-go client for it.
func standIn(t *testing.T, o qstashdev.Options) (*qstashdev.Server, *qstash.Client) {
	t.Helper()
	// qstash-go prefers QSTASH_URL over Options.Url; make sure the client talks to us.
	t.Setenv("QSTASH_URL", "")
	o.Token, o.CurrentSigningKey, o.NextSigningKey = testToken, testCurrent, testNext
	o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil)) // shown with -v or on failure
	srv, err := qstashdev.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return srv, qstash.NewClientWith(qstash.Options{Url: hs.URL, Token: testToken, Client: hs.Client()})
}

// delivery is one request the stand-in made to a destination.
type delivery struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// sink is a destination that records deliveries and answers with respond(n) for the n-th one
// (0-based); nil respond answers 200.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	got     []delivery
	respond func(n int, w http.ResponseWriter)
}

func newSink(t *testing.T, respond func(n int, w http.ResponseWriter)) *sink {
	t.Helper()
	s := &sink{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.got)
		s.got = append(s.got, delivery{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		if s.respond != nil {
			s.respond(n, w)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

func status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	// A bound for a broken test, not a timing assumption: everything here completes in ms.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitIdle(t *testing.T, srv *qstashdev.Server) {
	t.Helper()
	if err := srv.WaitIdle(waitCtx(t)); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

func waitFinal(t *testing.T, srv *qstashdev.Server, id string) qstashdev.Message {
	t.Helper()
	m, err := srv.Wait(waitCtx(t), id)
	if err != nil {
		t.Fatalf("Wait(%s): %v (state %s)", id, err, m.State)
	}
	return m
}

func noBackoff(int) time.Duration { return 0 }
