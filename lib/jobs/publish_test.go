package jobs_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
)

const qstashToken = "test-qstash-token"

// qstashStandIn runs lib/qstashdev on its own listener and returns it with its URL.
func qstashStandIn(t *testing.T, o qstashdev.Options) (*qstashdev.Server, string) {
	t.Helper()
	// qstash-go prefers QSTASH_URL over the URL it is given.
	t.Setenv("QSTASH_URL", "")
	o.Token, o.CurrentSigningKey, o.NextSigningKey = qstashToken, currentKey, nextKey
	o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
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
	return srv, hs.URL
}

// app is a stand-in for the deployed app: it records what reaches /api/jobs/*.
type app struct {
	*httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	body [][]byte
}

func newApp(t *testing.T, h http.Handler) *app {
	a := &app{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got, a.body = append(a.got, r), append(a.body, b)
		a.mu.Unlock()
		if h != nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *app) requests() ([]*http.Request, [][]byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*http.Request(nil), a.got...), append([][]byte(nil), a.body...)
}

func waitIdle(t *testing.T, srv *qstashdev.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bound for a broken test
	defer cancel()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func newPublisher(t *testing.T, appURL, qstashURL string) *jobs.Publisher {
	t.Helper()
	p, err := jobs.NewPublisher(appURL, config.QStash{URL: qstashURL, Token: qstashToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublish(t *testing.T) {
	srv, qurl := qstashStandIn(t, qstashdev.Options{Clock: nil})
	dest := newApp(t, nil)
	p := newPublisher(t, dest.URL, qurl)
	ctx := context.Background()

	id, err := p.Publish(ctx, "generate-report", map[string]string{"report_id": "r1"})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, srv)
	reqs, bodies := dest.requests()
	if len(reqs) != 1 || reqs[0].URL.Path != "/api/jobs/generate-report" || string(bodies[0]) != `{"report_id":"r1"}` ||
		reqs[0].Header.Get("Content-Type") != "application/json" || reqs[0].Header.Get("Upstash-Message-Id") != id {
		t.Fatalf("delivered %d requests: %+v %q", len(reqs), reqs, bodies)
	}

	// Options reach QStash: deduplication, delay and retries.
	a, err := p.Publish(ctx, "tick", nil, jobs.DeduplicationID("tick-2026-03-01T12"), jobs.Delay(1500*time.Millisecond), jobs.Retries(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Publish(ctx, "tick", nil, jobs.DeduplicationID("tick-2026-03-01T12"))
	if err != nil || a != b {
		t.Fatalf("deduplicated publish gave %q, %v; want %q", b, err, a)
	}
	m, _ := srv.Message(a)
	if m.MaxRetries != 1 || string(m.Body) != "{}" || m.NotBefore.Sub(m.CreatedAt) != 2*time.Second {
		t.Fatalf("message = %+v", m)
	}

	if _, err := p.Publish(ctx, "../admin", nil); err == nil {
		t.Fatal("an invalid job name was published")
	}
}

func TestPublishBatch(t *testing.T) {
	srv, qurl := qstashStandIn(t, qstashdev.Options{})
	dest := newApp(t, nil)
	p := newPublisher(t, dest.URL, qurl)
	msgs := make([]jobs.Message, 150) // more than one batch request
	for i := range msgs {
		msgs[i] = jobs.Message{Job: "generate-report", Body: map[string]int{"n": i}}
	}
	ids, err := p.PublishBatch(context.Background(), msgs)
	if err != nil || len(ids) != len(msgs) {
		t.Fatalf("%d ids, %v", len(ids), err)
	}
	waitIdle(t, srv)
	if reqs, _ := dest.requests(); len(reqs) != len(msgs) {
		t.Fatalf("%d deliveries, want %d", len(reqs), len(msgs))
	}
}

func TestEnsureSchedule(t *testing.T) {
	srv, qurl := qstashStandIn(t, qstashdev.Options{})
	p := newPublisher(t, "https://app.metriqs.test", qurl)
	ctx := context.Background()

	id, created, err := p.EnsureSchedule(ctx, "tick", "0 * * * *")
	if err != nil || !created || id == "" {
		t.Fatalf("first: %q %v %v", id, created, err)
	}
	again, created, err := p.EnsureSchedule(ctx, "tick", "0 * * * *")
	if err != nil || created || again != id {
		t.Fatalf("second: %q %v %v; want %q, not created", again, created, err, id)
	}
	other, created, err := p.EnsureSchedule(ctx, "tick", "30 * * * *")
	if err != nil || !created || other == id {
		t.Fatalf("another cron: %q %v %v", other, created, err)
	}
	// QStash refuses an invalid cron; nothing is created.
	if _, _, err := p.EnsureSchedule(ctx, "tick", "every hour"); err == nil {
		t.Fatal("an invalid cron was accepted")
	}
	list := srv.Schedules()
	if len(list) != 2 || list[0].Destination != "https://app.metriqs.test/api/jobs/tick" {
		t.Fatalf("schedules = %+v", list)
	}
}

// Every product schedule is a standard cron QStash will accept, for a job function that exists.
func TestProductSchedulesParse(t *testing.T) {
	for _, s := range jobs.Schedules {
		if _, err := cron.ParseStandard(s.Cron); err != nil {
			t.Errorf("%s: %q: %v", s.Job, s.Cron, err)
		}
		// api/jobs/<job>.go, or a directory of its own (api/jobs/<job>/index.go).
		file := filepath.Join("..", "..", filepath.FromSlash(jobs.Path(s.Job)))
		_, err := os.Stat(file + ".go")
		if _, derr := os.Stat(filepath.Join(file, "index.go")); err != nil && derr != nil {
			t.Errorf("%s: no function for it: %v", s.Job, err)
		}
	}
}

func TestNewPublisherChecksConfiguration(t *testing.T) {
	t.Setenv("QSTASH_URL", "")
	good := config.QStash{Token: "t"}
	if _, err := jobs.NewPublisher("https://app.metriqs.test", config.QStash{}, nil); err == nil {
		t.Error("empty token accepted (qstash-go would panic)")
	}
	for _, bad := range []string{"", "app.metriqs.test", "https://app.metriqs.test/sub", "ftp://x"} {
		if _, err := jobs.NewPublisher(bad, good, nil); err == nil {
			t.Errorf("APP_URL %q accepted", bad)
		}
	}
	// qstash-go would silently send to QSTASH_URL instead of the configured URL.
	t.Setenv("QSTASH_URL", "https://elsewhere.example")
	if _, err := jobs.NewPublisher("https://app.metriqs.test", good, nil); err == nil {
		t.Error("a QSTASH_URL that differs from the configuration was accepted")
	}
	if _, err := jobs.NewPublisher("https://app.metriqs.test", config.QStash{Token: "t", URL: "https://elsewhere.example/"}, nil); err != nil {
		t.Errorf("matching QSTASH_URL refused: %v", err)
	}
}

func TestPublishHonoursContext(t *testing.T) {
	t.Setenv("QSTASH_URL", "")
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()
	p := newPublisher(t, "https://app.metriqs.test", stuck.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Publish(ctx, "tick", nil); err == nil {
		t.Fatal("publish with a cancelled context succeeded")
	}
}
