package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/period"
)

const testToken = "tok_customer_123"

// bearer stands in for the caller's OAuth-wrapping client: it adds the customer's token.
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+testToken)
	return b.next.RoundTrip(r)
}

// seen is one request the fake received.
type seen struct {
	Method, Path, RequestURI string
	Query                    url.Values
	Header                   http.Header
	Body                     map[string]any
}

// fake is an httptest server that records requests and answers through handle.
type fake struct {
	mu   sync.Mutex
	reqs []seen
	srv  *httptest.Server
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body map[string]any)) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			if err := json.Unmarshal(b, &body); err != nil {
				t.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL.Path, b)
			}
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.URL.Path, got)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.URL.Path, r.RequestURI, r.URL.Query(), r.Header.Clone(), body})
		f.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) client() *http.Client {
	return &http.Client{Transport: bearer{f.srv.Client().Transport}}
}

// reply writes a JSON fixture.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func date(s string) period.Date {
	d, err := period.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// week is Nov 1–7 2026 against Oct 25–31, in zone.
func week(zone string) period.Period {
	return period.Period{Start: date("2026-11-01"), End: date("2026-11-07"),
		PreviousStart: date("2026-10-25"), PreviousEnd: date("2026-10-31"), TimeZone: zone}
}

func metric(t *testing.T, s *Section, key string) Metric {
	t.Helper()
	for _, m := range s.Metrics {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("no metric %q in %+v", key, s.Metrics)
	return Metric{}
}

func series(t *testing.T, s *Section, key string) Series {
	t.Helper()
	for _, x := range s.Series {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("no series %q", key)
	return Series{}
}

// values returns a series' values by date string.
func note(t *testing.T, s *Section, code string) Note {
	t.Helper()
	for _, n := range s.Notes {
		if n.Code == code {
			return n
		}
	}
	t.Fatalf("no note %s in %+v", code, s.Notes)
	return Note{}
}

func values(x Series) map[string]float64 {
	out := map[string]float64{}
	for _, p := range x.Points {
		out[p.Date.String()] = p.Value
	}
	return out
}

func expect(t *testing.T, what string, got, want float64) {
	t.Helper()
	if d := got - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func fetch(t *testing.T, f Fetcher, hc *http.Client, sel Selection, p period.Period) *Section {
	t.Helper()
	s, err := f.Fetch(context.Background(), hc, sel, p)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if s.Status != StatusOK || s.Error != "" {
		t.Fatalf("section %+v", s)
	}
	return s
}

func hasAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
