package jobs_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
)

// The lean publisher speaks the same publish API as qstash-go: the stand-in (which checks it
// the way QStash does) delivers the message with its body, and the options arrive.
func TestLeanPublish(t *testing.T) {
	srv, qurl := qstashStandIn(t, qstashdev.Options{})
	dest := newApp(t, nil)
	p, err := jobs.NewLeanPublisher(dest.URL, config.QStash{URL: qurl, Token: qstashToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := p.Publish(ctx, "send-email", map[string]string{"key": "k1"}, jobs.Retries(2), jobs.DeduplicationID("mail-abc"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Publish(ctx, "send-email", map[string]string{"key": "k1"}, jobs.DeduplicationID("mail-abc"))
	if err != nil || again != id {
		t.Fatalf("deduplicated publish gave %q, %v; want %q", again, err, id)
	}
	m, _ := srv.Message(id)
	if m.MaxRetries != 2 || string(m.Body) != `{"key":"k1"}` {
		t.Fatalf("message = %+v", m)
	}
	waitIdle(t, srv)
	reqs, bodies := dest.requests()
	if len(reqs) != 1 || reqs[0].URL.Path != "/api/jobs/send-email" || string(bodies[0]) != `{"key":"k1"}` || reqs[0].Header.Get("Upstash-Message-Id") != id {
		t.Fatalf("delivered %d requests: %+v %q", len(reqs), reqs, bodies)
	}
	if _, err := p.Publish(ctx, "../admin", nil); err == nil {
		t.Fatal("an invalid job name was published")
	}
}

// Over https the certificate is verified against the roots given (the system's in
// production), TLS below 1.2 is refused, and a refusal by QStash is a 503.
func TestLeanPublishTLS(t *testing.T) {
	for _, c := range []struct {
		max    uint16
		status int
		ok     bool
	}{{tls.VersionTLS11, http.StatusCreated, false}, {tls.VersionTLS12, http.StatusCreated, true}, {tls.VersionTLS13, http.StatusUnauthorized, false}} {
		var got *http.Request
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r
			w.WriteHeader(c.status)
			io.WriteString(w, `{"messageId":"msg_1"}`)
		}))
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: c.max}
		srv.StartTLS()
		p, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{URL: srv.URL, Token: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		p.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		id, err := p.Publish(context.Background(), "tick", nil)
		if (err == nil) != c.ok {
			t.Errorf("TLS up to %s, status %d: id %q, err = %v, want ok=%v", tls.VersionName(c.max), c.status, id, err, c.ok)
		}
		if c.ok && (got.URL.Path != "/v2/publish/https://app.metriqs.test/api/jobs/tick" || got.Header.Get("Authorization") != "Bearer tok") {
			t.Errorf("request %s %v", got.URL, got.Header)
		}
		srv.Close()
	}
}

// Without the test's roots, the test server's certificate is refused: nothing skips checks.
func TestLeanPublishVerifiesCertificates(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request reached a server with an untrusted certificate")
	}))
	defer srv.Close()
	p, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{URL: srv.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), "tick", nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
}

// A value that would end a header line never reaches the request.
func TestLeanPublishRefusesHeaderInjection(t *testing.T) {
	if _, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{Token: "tok\r\nX-Evil: 1"}); err == nil {
		t.Error("a token with CR/LF was accepted")
	}
	p, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{URL: "http://127.0.0.1:1", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), "tick", nil, jobs.DeduplicationID("x\r\nUpstash-Retries: 99"))
	if err == nil || !strings.Contains(err.Error(), "control character") {
		t.Fatalf("err = %v, want the deduplication id refused", err)
	}
}

// A QStash that accepts the connection and never answers costs the caller the publisher's
// deadline, not the function's lifetime.
func TestLeanPublishHonoursTheContext(t *testing.T) {
	release := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer stall.Close()
	defer close(release)
	p, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{URL: stall.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := p.Publish(ctx, "tick", nil); err == nil {
		t.Fatal("a stalled QStash answered")
	}
}
