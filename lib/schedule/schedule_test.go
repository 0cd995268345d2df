package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func ip(n int) *int { return &n }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	cases := []struct {
		name string
		sc   Schedule
		from string
		want string
	}{
		{"weekly later this week", Schedule{Cadence: Weekly, Weekday: ip(1), Hour: 9, TimeZone: "UTC"}, "2026-11-28T10:00:00Z", "2026-11-30T09:00:00Z"},
		{"weekly same day, hour passed", Schedule{Cadence: Weekly, Weekday: ip(6), Hour: 9, TimeZone: "UTC"}, "2026-11-28T10:00:00Z", "2026-12-05T09:00:00Z"},
		{"weekly exactly at run time is next week", Schedule{Cadence: Weekly, Weekday: ip(6), Hour: 10, TimeZone: "UTC"}, "2026-11-28T10:00:00Z", "2026-12-05T10:00:00Z"},
		{"weekly in Paris", Schedule{Cadence: Weekly, Weekday: ip(1), Hour: 8, TimeZone: "Europe/Paris"}, "2026-11-28T10:00:00Z", "2026-11-30T07:00:00Z"},
		{"monthly next month", Schedule{Cadence: Monthly, Day: ip(1), Hour: 6, TimeZone: "UTC"}, "2026-11-28T10:00:00Z", "2026-12-01T06:00:00Z"},
		{"monthly day 31 in February", Schedule{Cadence: Monthly, Day: ip(31), Hour: 6, TimeZone: "UTC"}, "2027-02-01T00:00:00Z", "2027-02-28T06:00:00Z"},
		{"monthly day 31 leap February", Schedule{Cadence: Monthly, Day: ip(31), Hour: 6, TimeZone: "UTC"}, "2028-02-01T00:00:00Z", "2028-02-29T06:00:00Z"},
		{"monthly across the year", Schedule{Cadence: Monthly, Day: ip(15), Hour: 23, TimeZone: "UTC"}, "2026-12-16T00:00:00Z", "2027-01-15T23:00:00Z"},
		// New York springs forward at 02:00 on 2026-03-08: 02:00 does not exist, it is 03:00 EDT.
		{"hour skipped by DST", Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 2, TimeZone: "America/New_York"}, "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z"},
		// Before and after the autumn change the same local hour is a different UTC hour.
		{"before fall back", Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 9, TimeZone: "America/New_York"}, "2026-10-26T00:00:00Z", "2026-11-01T14:00:00Z"},
		{"after fall back", Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 9, TimeZone: "America/New_York"}, "2026-11-02T00:00:00Z", "2026-11-08T14:00:00Z"},
		{"before spring forward", Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 9, TimeZone: "America/New_York"}, "2026-03-01T00:00:00Z", "2026-03-01T14:00:00Z"},
		{"after spring forward", Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 9, TimeZone: "America/New_York"}, "2026-03-02T00:00:00Z", "2026-03-08T13:00:00Z"},
	}
	for _, c := range cases {
		if got := c.sc.Next(at(c.from)); !got.Equal(at(c.want)) {
			t.Errorf("%s: Next(%s) = %s, want %s", c.name, c.from, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		in          Input
		code, field string
	}{
		{Input{Cadence: "weekly", Weekday: ip(1), Hour: ip(9)}, "", ""},
		{Input{Cadence: "monthly", Day: ip(31), Hour: ip(0), TimeZone: "Asia/Tokyo"}, "", ""},
		{Input{Cadence: "daily", Hour: ip(9)}, "invalid_schedule", "cadence"},
		{Input{Hour: ip(9)}, "invalid_request", "cadence"},
		{Input{Cadence: "weekly", Hour: ip(9)}, "invalid_request", "weekday"},
		{Input{Cadence: "weekly", Weekday: ip(7), Hour: ip(9)}, "invalid_schedule", "weekday"},
		{Input{Cadence: "weekly", Weekday: ip(1), Day: ip(3), Hour: ip(9)}, "invalid_request", "day"},
		{Input{Cadence: "monthly", Day: ip(0), Hour: ip(9)}, "invalid_schedule", "day"},
		{Input{Cadence: "monthly", Day: ip(32), Hour: ip(9)}, "invalid_schedule", "day"},
		{Input{Cadence: "monthly", Day: ip(1)}, "invalid_request", "hour"},
		{Input{Cadence: "monthly", Day: ip(1), Hour: ip(24)}, "invalid_schedule", "hour"},
		{Input{Cadence: "monthly", Day: ip(1), Hour: ip(-1)}, "invalid_schedule", "hour"},
		{Input{Cadence: "monthly", Day: ip(1), Hour: ip(1), TimeZone: "Nowhere/Land"}, "invalid_timezone", "timezone"},
	}
	for _, c := range cases {
		_, err := validate(c.in, "UTC")
		p, _ := problem.As(err)
		if problem.CodeOf(err) != c.code || (p != nil && p.Field != c.field) {
			t.Errorf("%+v: err = %v, want %s on %s", c.in, err, c.code, c.field)
		}
	}
}

type conns struct{}

func (conns) Connected(context.Context, string) ([]string, error) { return []string{"demo"}, nil }
func (conns) Client(context.Context, string, string) (*http.Client, metrics.Selection, error) {
	return http.DefaultClient, metrics.Selection{}, nil
}
func (conns) RefusedAccess(context.Context, string, string) error { return nil }

type pub struct {
	mu      sync.Mutex
	batches int
	msgs    []jobs.Message
}

func (p *pub) Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error) {
	_, err := p.PublishBatch(ctx, []jobs.Message{{Job: job, Body: body, Options: opts}})
	return "m", err
}

func (p *pub) PublishBatch(_ context.Context, msgs []jobs.Message) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches++
	p.msgs = append(p.msgs, msgs...)
	return make([]string, len(msgs)), nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newService(t testing.TB) (*Service, *pub, *clock, *store.Store) {
	st := storetest.New(t)
	p := &pub{}
	c := &clock{t: at("2026-11-28T10:30:00Z")}
	reports := report.New(st, conns{}, nil, p, c.now)
	return New(st, reports, c.now), p, c, st
}

func TestCreateListDeleteAndLimit(t *testing.T) {
	s, _, clk, st := newService(t)
	ctx := context.Background()
	sc, err := s.Create(ctx, "u1", "Europe/Paris", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(8)})
	if err != nil {
		t.Fatal(err)
	}
	if sc.TimeZone != "Europe/Paris" || !sc.NextRunAt.Equal(at("2026-11-30T07:00:00Z")) {
		t.Fatalf("schedule = %+v", sc)
	}
	for i := 1; i < MaxPerUser; i++ {
		clk.set(clk.now().Add(time.Second))
		if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i), Hour: ip(6)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(9), Hour: ip(6)}); err != ErrTooMany {
		t.Fatalf("past the limit: %v", err)
	}
	list, _ := s.List(ctx, "u1")
	if len(list) != MaxPerUser || list[0].ID != sc.ID || *list[1].Day != 1 {
		t.Fatalf("list = %+v", list)
	}
	if err := s.Delete(ctx, "u2", sc.ID); err != ErrNotFound {
		t.Fatalf("another user's delete: %v", err)
	}
	if err := s.Delete(ctx, "u1", sc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.R.ZScore(ctx, s.dueKey(), member("u1", sc.ID)).Result(); err != redis.Nil {
		t.Fatalf("due entry left after delete: %v", err)
	}
	if err := s.DeleteAll(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if n := st.R.ZCard(ctx, s.dueKey()).Val(); n != 0 {
		t.Fatalf("%d due entries after DeleteAll", n)
	}
}

// A tick delivered twice — or two ticks at once — publishes each due schedule's run exactly
// once, deduplicated by schedule and due time, and makes no report itself (the run job does).
func TestTickExactlyOnce(t *testing.T) {
	s, p, clk, st := newService(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := s.Create(ctx, fmt.Sprintf("u%d", i), "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, "u9", "UTC", Input{Cadence: Monthly, Day: ip(20), Hour: ip(9)}); err != nil {
		t.Fatal(err)
	}
	clk.set(at("2026-11-30T09:05:00Z")) // the weekly ones are due, the monthly one is not
	var started atomic.Int64
	storetest.Together(4, func(int) {
		res, err := s.Tick(ctx)
		if err != nil {
			t.Error(err)
		}
		started.Add(int64(res.Started))
	})
	if started.Load() != 3 || len(p.msgs) != 3 {
		t.Fatalf("started %d runs, published %d messages; want 3", started.Load(), len(p.msgs))
	}
	if res, _ := s.Tick(ctx); res.Started != 0 {
		t.Fatalf("a second tick started %d", res.Started)
	}
	sc := mustOnly(t, s, "u0")
	next, _ := st.R.ZScore(ctx, s.dueKey(), member("u0", sc.ID)).Result()
	if time.Unix(int64(next), 0).UTC() != at("2026-12-07T09:00:00Z") {
		t.Fatalf("next run = %s", time.Unix(int64(next), 0).UTC())
	}
	var mine *RunJob
	for _, m := range p.msgs {
		if b := m.Body.(RunJob); b.UserID == "u0" {
			mine = &b
		}
		if m.Job != JobRun {
			t.Fatalf("published %q", m.Job)
		}
	}
	if mine == nil || !mine.DueAt.Equal(at("2026-11-30T09:00:00Z")) || mine.RunID != RunIDFor("u0", sc.ID, mine.DueAt) {
		t.Fatalf("run message = %+v", mine)
	}
	if reports, _ := report.New(st, conns{}, nil, p, clk.now).List(ctx, "u0"); len(reports) != 0 {
		t.Fatalf("the tick made reports: %+v", reports)
	}
}

func mustOnly(t *testing.T, s *Service, uid string) Schedule {
	list, err := s.List(context.Background(), uid)
	if err != nil || len(list) != 1 {
		t.Fatalf("schedules of %s: %v %v", uid, list, err)
	}
	return list[0]
}

// BenchmarkTick measures a tick over 10,000 schedules of which 1,000 are due: the work follows
// the due ones (one range read, pipelined loads and advances, one batch publish per 500).
func BenchmarkTick(b *testing.B) {
	s, p, clk, st := newService(b)
	ctx := context.Background()
	const total, due = 10000, 1000
	seed := func() {
		st.R.Del(ctx, s.dueKey())
		_, _ = st.R.Pipelined(ctx, func(pl redis.Pipeliner) error {
			for i := 0; i < total; i++ {
				uid, id := fmt.Sprintf("u%05d", i), "s"
				sc := Schedule{ID: id, Cadence: Weekly, Weekday: ip(1), Hour: 9, TimeZone: "UTC"}
				when := at("2026-12-30T09:00:00Z")
				if i < due {
					when = at("2026-11-30T09:00:00Z")
				}
				b, _ := json.Marshal(sc)
				pl.HSet(ctx, s.userKey(uid), id, b)
				pl.ZAdd(ctx, s.dueKey(), redis.Z{Score: float64(when.Unix()), Member: member(uid, id)})
			}
			return nil
		})
	}
	clk.set(at("2026-11-30T09:05:00Z"))
	for b.Loop() {
		b.StopTimer()
		seed()
		b.StartTimer()
		res, err := s.Tick(ctx)
		if err != nil || res.Started != due {
			b.Fatalf("started %d, %v", res.Started, err)
		}
	}
	b.ReportMetric(float64(p.batches)/float64(b.N), "batches/op")
}
