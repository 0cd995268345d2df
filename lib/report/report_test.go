package report

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// fakeConns connects the given providers for every user.
type fakeConns struct{ providers []string }

func (f fakeConns) Connected(context.Context, string) ([]string, error) { return f.providers, nil }
func (f fakeConns) Client(context.Context, string, string) (*http.Client, metrics.Selection, error) {
	return http.DefaultClient, metrics.Selection{}, nil
}
func (f fakeConns) RefusedAccess(context.Context, string, string) error { return nil }

// fetchFunc adapts a function to metrics.Fetcher.
type fetchFunc func(ctx context.Context) (*metrics.Section, error)

func (f fetchFunc) Fetch(ctx context.Context, _ *http.Client, _ metrics.Selection, _ period.Period) (*metrics.Section, error) {
	return f(ctx)
}

func okSection(provider string, value float64) fetchFunc {
	return func(context.Context) (*metrics.Section, error) {
		return &metrics.Section{Provider: provider, Status: "ok", Metrics: []metrics.Metric{metrics.NewMetric("visitors", "Visitors", "count", value, value/2, true)}}, nil
	}
}

func failing(provider string, kind error) fetchFunc {
	return func(context.Context) (*metrics.Section, error) {
		return nil, &metrics.Error{Provider: provider, Kind: kind, Message: "Reconnect " + provider + ": access was revoked"}
	}
}

type fakePub struct {
	mu   sync.Mutex
	msgs []jobs.Message
	fail error
}

func (p *fakePub) Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error) {
	_, err := p.PublishBatch(ctx, []jobs.Message{{Job: job, Body: body, Options: opts}})
	return "msg", err
}

func (p *fakePub) PublishBatch(_ context.Context, msgs []jobs.Message) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	p.msgs = append(p.msgs, msgs...)
	return make([]string, len(msgs)), nil
}

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func newService(t testing.TB, fetchers map[string]metrics.Fetcher) (*Service, *fakePub, *store.Store) {
	st := storetest.New(t)
	providers := make([]string, 0, len(fetchers))
	for p := range fetchers {
		providers = append(providers, p)
	}
	pub := &fakePub{}
	return New(st, fakeConns{providers}, fetchers, pub, func() time.Time { return now }), pub, st
}

func create(t testing.TB, s *Service, user string) *Report {
	t.Helper()
	r, err := s.Create(context.Background(), Request{UserID: user, Spec: period.Spec{Preset: period.Last7Days}, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func body(id string) []byte { return []byte(fmt.Sprintf(`{"report_id":%q}`, id)) }

func TestCreateQueuesAndPublishes(t *testing.T) {
	s, pub, _ := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 10)})
	r := create(t, s, "u1")
	if r.Status != Queued || r.Period.End != period.NewDate(2026, 11, 27) || r.Period.Start != period.NewDate(2026, 11, 21) {
		t.Fatalf("report = %+v", r)
	}
	if len(pub.msgs) != 1 || pub.msgs[0].Job != JobGenerate || pub.msgs[0].Body.(generateBody).ReportID != r.ID {
		t.Fatalf("published %+v", pub.msgs)
	}
	list, err := s.List(context.Background(), "u1")
	if err != nil || len(list) != 1 || list[0].ID != r.ID || list[0].Status != Queued {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if _, err := s.Get(context.Background(), "u2", r.ID); err != ErrNotFound {
		t.Fatalf("another user's report: %v", err)
	}
}

func TestCreateRefusals(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{})
	_, err := s.Create(context.Background(), Request{UserID: "u1", Spec: period.Spec{Preset: period.Last7Days}, Location: time.UTC})
	if problem.CodeOf(err) != "no_integrations" {
		t.Fatalf("nothing connected: %v", err)
	}
	s2, pub2, st2 := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	pub2.fail = errors.New("qstash down")
	if _, err := s2.Create(context.Background(), Request{UserID: "u1", Spec: period.Spec{Preset: period.Last7Days}, Location: time.UTC}); err == nil {
		t.Fatal("publish failure not reported")
	}
	for _, st := range []*store.Store{st, st2} {
		// The user's index may list the (now empty) report list: collection keys stay listed.
		if keys := keysButIndex(t, st, "u1"); len(keys) != 0 {
			t.Fatalf("a refused request left %v", keys)
		}
	}
}

func TestGeneratePartialAndIdempotent(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{
		"demo":   okSection("demo", 120),
		"github": failing("github", metrics.ErrReauth),
	})
	r := create(t, s, "u1")
	ctx := context.Background()
	if err := s.Generate(ctx, body(r.ID)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, "u1", r.ID)
	if got.Status != Partial || len(got.Sections) != 2 || got.CompletedAt == nil {
		t.Fatalf("report = %+v", got)
	}
	for _, sec := range got.Sections {
		if sec.Provider == "github" && (sec.Status != "failed" || sec.Error != "Reconnect github: access was revoked") {
			t.Errorf("failed section = %+v", sec)
		}
	}
	if n, _ := st.R.HGet(ctx, s.usageKey("u1"), "2026-11:reports").Int(); n != 1 {
		t.Fatalf("usage = %d", n)
	}
	// A redelivery changes nothing: no second count, no overwrite.
	s.fetchers["github"] = okSection("github", 1)
	if err := s.Generate(ctx, body(r.ID)); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Get(ctx, "u1", r.ID)
	if again.Status != Partial {
		t.Fatalf("redelivery overwrote the report: %s", again.Status)
	}
	if n, _ := st.R.HGet(ctx, s.usageKey("u1"), "2026-11:reports").Int(); n != 1 {
		t.Fatalf("usage after redelivery = %d", n)
	}
}

// A report deleted while its job runs stays deleted: the job neither marks a stub running
// (outside the user's index, it would outlive the purge and the 30-day backstop) nor stores
// the finished document.
func TestGenerateNeverRecreatesADeletedReport(t *testing.T) {
	ctx := context.Background()
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	r := create(t, s, "u1")
	if err := s.Delete(ctx, "u1", r.ID); err != nil {
		t.Fatal(err)
	}
	// Deleted between the job's load and its start.
	if started, err := s.markRunning(ctx, r.ID); err != nil || started != 0 {
		t.Fatalf("markRunning on a deleted report = %v, %v", started, err)
	}
	if keys := keysButIndex(t, st, "u1"); len(keys) != 0 {
		t.Fatalf("marking a deleted report running left %v", keys)
	}

	// Deleted while its sections are fetched.
	r = create(t, s, "u1")
	s.fetchers["demo"] = fetchFunc(func(context.Context) (*metrics.Section, error) {
		if err := s.Delete(ctx, "u1", r.ID); err != nil {
			t.Error(err)
		}
		return okSection("demo", 1)(ctx)
	})
	if err := s.Generate(ctx, body(r.ID)); err != nil {
		t.Fatal(err)
	}
	if keys := keysButIndex(t, st, "u1"); len(keys) != 0 {
		t.Fatalf("a report deleted during its job came back: %v", keys)
	}
}

// The job retries a transient failure until its last attempt, counted in Redis: nothing a
// delivery says (Upstash-Retried is not signed) makes it give up early.
func TestGenerateTransientRetriesUntilLastAttempt(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{
		"demo":   okSection("demo", 1),
		"stripe": failing("stripe", metrics.ErrTransient),
	})
	r := create(t, s, "u1")
	ctx := jobs.WithDelivery(context.Background(), jobs.Delivery{MessageID: "m"})
	for attempt := 1; attempt <= Retries; attempt++ {
		err := s.Generate(ctx, body(r.ID))
		if err == nil || jobs.IsPermanent(err) {
			t.Fatalf("attempt %d: err = %v, want a retryable error", attempt, err)
		}
		if got, _ := s.Get(context.Background(), "u1", r.ID); got.Status != Running {
			t.Fatalf("status after attempt %d = %s", attempt, got.Status)
		}
	}
	if err := s.Generate(ctx, body(r.ID)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(context.Background(), "u1", r.ID); got.Status != Partial {
		t.Fatalf("status after the last attempt = %s", got.Status)
	}
	if n, _ := st.R.HGet(context.Background(), s.key(r.ID), "attempts").Int(); n != Retries+1 {
		t.Fatalf("Redis counted %d attempts, want %d", n, Retries+1)
	}
}

func TestGenerateBadBodyIsPermanent(t *testing.T) {
	s, _, _ := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	for _, b := range []string{`nope`, `{"report_id":"../../etc"}`, `{}`} {
		if err := s.Generate(context.Background(), []byte(b)); !jobs.IsPermanent(err) {
			t.Errorf("body %s: err = %v, want permanent", b, err)
		}
	}
	// A report deleted before its job ran: done, nothing to do.
	if err := s.Generate(context.Background(), body("aaaaaaaaaaaaaaaaaaaaaaaaaa")); err != nil {
		t.Fatalf("missing report: %v", err)
	}
}

// Every section is fetched at the same time: each fetcher waits until all five have started,
// which only happens if they run in parallel (in sequence the first would wait until its
// timeout and fail).
func TestGenerateFetchesInParallel(t *testing.T) {
	var started atomic.Int32
	all := make(chan struct{})
	barrier := func(provider string) fetchFunc {
		return func(ctx context.Context) (*metrics.Section, error) {
			if started.Add(1) == 5 {
				close(all)
			}
			select {
			case <-all:
				return okSection(provider, 1)(ctx)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	fetchers := map[string]metrics.Fetcher{}
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		fetchers[p] = barrier(p)
	}
	s, _, _ := newService(t, fetchers)
	s.SectionTimeout = 20 * time.Second
	r := create(t, s, "u1")
	if err := s.Generate(context.Background(), body(r.ID)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(context.Background(), "u1", r.ID); got.Status != Ready {
		t.Fatalf("status = %s", got.Status)
	}
}

// Storing a finished report is one round trip, whatever the number of sections.
func TestFinishIsOneRoundTrip(t *testing.T) {
	for _, n := range []int{1, 5, 20} {
		fetchers := map[string]metrics.Fetcher{}
		for i := 0; i < n; i++ {
			p := fmt.Sprintf("p%d", i)
			fetchers[p] = okSection(p, float64(i))
		}
		s, _, st := newService(t, fetchers)
		r := create(t, s, "u1")
		outs := s.fetchAll(context.Background(), "u1", r)
		c := storetest.CountRoundTrips(st)
		if err := s.finish(context.Background(), "u1", r, outs); err != nil {
			t.Fatal(err)
		}
		if c.N() != 1 {
			t.Fatalf("%d sections stored in %d round trips", n, c.N())
		}
	}
}

// BenchmarkGenerateFiveSlowProviders measures a report whose five providers each take 200 ms:
// it should take about 200 ms, not a second (docs/performance.md records the figure).
func BenchmarkGenerateFiveSlowProviders(b *testing.B) {
	slow := func(provider string) fetchFunc {
		return func(ctx context.Context) (*metrics.Section, error) {
			time.Sleep(200 * time.Millisecond)
			return okSection(provider, 1)(ctx)
		}
	}
	fetchers := map[string]metrics.Fetcher{}
	for _, p := range []string{"google-analytics", "search-console", "stripe", "github", "demo"} {
		fetchers[p] = slow(p)
	}
	s, _, _ := newService(b, fetchers)
	for b.Loop() {
		r := create(b, s, "u1")
		if err := s.Generate(context.Background(), body(r.ID)); err != nil {
			b.Fatal(err)
		}
	}
}
