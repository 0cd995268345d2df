package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/delivery/reportmail"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

const (
	appURL = "https://app.metriqs.test"
	owner  = "owner@example.com"
)

// queue is a QStash that keeps every published message, for the test to deliver (twice).
type queue struct {
	mu   sync.Mutex
	msgs []msg
}

type msg struct {
	job  string
	body []byte
}

func (q *queue) Publish(_ context.Context, job string, body any, _ ...jobs.Option) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	q.msgs = append(q.msgs, msg{job, b})
	q.mu.Unlock()
	return "m", nil
}

func (q *queue) PublishBatch(ctx context.Context, ms []jobs.Message) ([]string, error) {
	for _, m := range ms {
		if _, err := q.Publish(ctx, m.Job, m.Body); err != nil {
			return nil, err
		}
	}
	return make([]string, len(ms)), nil
}

func (q *queue) take() []msg {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

// outbox is an SMTP server that counts what it is given.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Outgoing
	fail map[string]bool // addresses refused permanently
}

func (o *outbox) Send(_ context.Context, m mail.Outgoing) (mail.Receipt, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail[m.To] {
		return mail.Receipt{}, &mail.Refusal{Code: 550, Reply: "550 no such user"}
	}
	o.sent = append(o.sent, m)
	return mail.Receipt{Reply: "250 ok"}, nil
}

func (o *outbox) to(addr string) []mail.Outgoing {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Outgoing
	for _, m := range o.sent {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

type conns struct{}

func (conns) Connected(context.Context, string) ([]string, error) {
	return []string{metrics.ProviderDemo}, nil
}
func (conns) Client(context.Context, string, string) (*http.Client, metrics.Selection, error) {
	return http.DefaultClient, metrics.Selection{}, nil
}
func (conns) RefusedAccess(context.Context, string, string) error { return nil }

type fetcher struct{}

func (fetcher) Fetch(context.Context, *http.Client, metrics.Selection, period.Period) (*metrics.Section, error) {
	return &metrics.Section{Provider: metrics.ProviderDemo, Status: metrics.StatusOK,
		Metrics: []metrics.Metric{metrics.NewMetric("visits", "Visits", metrics.UnitCount, 1234, 1000, true)}}, nil
}

type health struct{ missing []string }

func (h *health) NeedsReconnect(context.Context, string) ([]string, error) { return h.missing, nil }

type owners struct{}

func (owners) Owner(context.Context, string) (string, string, error) { return owner, "Olivia", nil }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// world is the delivery path with every job run by the test.
type world struct {
	t         *testing.T
	st        *store.Store
	q         *queue
	out       *outbox
	tr        mail.Transport // w.out unless a test sends through a real server
	clk       *clock
	health    *health
	reports   *report.Service
	schedules *schedule.Service
	mail      *mail.Service
	d         *delivery.Service
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, st: storetest.New(t), q: &queue{}, out: &outbox{fail: map[string]bool{}},
		clk: &clock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}, health: &health{}}
	w.reports = report.New(w.st, conns{}, map[string]metrics.Fetcher{metrics.ProviderDemo: fetcher{}}, w.q, w.clk.now)
	w.schedules = schedule.New(w.st, w.reports, w.clk.now)
	w.mail = mail.New(w.st, w.q, w.clk.now)
	w.d = delivery.New(delivery.Deps{Store: w.st, Schedules: w.schedules, Reports: w.reports, Mail: w.mail, Pub: w.q,
		Shares: share.New(w.st, w.reports, appURL, w.clk.now), Health: w.health, Owners: owners{}, AppURL: appURL, Now: w.clk.now})
	reportmail.Use(w.st)
	w.tr = w.out
	return w
}

// schedule makes a weekly schedule of uid (Monday 09:00 UTC) to the owner and guests.
func (w *world) schedule(uid string, guests ...string) *schedule.Schedule {
	ctx := context.Background()
	wd, h := 1, 9
	sc, err := w.schedules.Create(ctx, uid, "UTC", schedule.Input{Cadence: schedule.Weekly, Weekday: &wd, Hour: &h})
	if err != nil {
		w.t.Fatal(err)
	}
	sc.Recipients = append([]string{owner}, guests...)
	sc.Added = map[string]schedule.Added{owner: {By: owner, Owner: true}}
	for _, g := range guests {
		sc.Added[g] = schedule.Added{By: owner, Name: "Olivia"}
	}
	b, _ := json.Marshal(sc)
	w.st.R.HSet(ctx, w.st.Key("user", uid, "schedules"), sc.ID, b)
	return sc
}

// drain delivers every published message twice, at the same time, newest first, until
// nothing is left; a job that asks for a retry is delivered again (at most 5 rounds each).
func (w *world) drain() {
	ctx := context.Background()
	for round := 0; round < 30; round++ {
		msgs := w.q.take()
		if len(msgs) == 0 {
			return
		}
		slices.Reverse(msgs)
		var retry []msg
		var mu sync.Mutex
		for _, m := range msgs {
			storetest.Together(2, func(int) {
				if err := w.run(ctx, m); err != nil && !jobs.IsPermanent(err) {
					mu.Lock()
					retry = append(retry, m)
					mu.Unlock()
				}
			})
		}
		if round < 25 {
			for _, m := range dedupe(retry) {
				_, _ = w.q.Publish(ctx, m.job, json.RawMessage(m.body))
			}
		}
	}
	w.t.Fatal("the jobs never settled")
}

func dedupe(ms []msg) []msg {
	seen := map[string]bool{}
	var out []msg
	for _, m := range ms {
		if k := m.job + string(m.body); !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	return out
}

func (w *world) run(ctx context.Context, m msg) error {
	switch m.job {
	case delivery.JobRun:
		return w.d.Start(ctx, m.body)
	case report.JobGenerate:
		return w.reports.Generate(ctx, m.body)
	case delivery.JobDeliver:
		return w.d.Deliver(ctx, m.body)
	case delivery.JobCheck:
		return w.d.Check(ctx, m.body)
	case mail.JobSend:
		return w.mail.Deliver(ctx, m.body, mail.Outbox{Transport: w.tr, From: map[mail.Sender]string{mail.FromReports: "Metriqs <reports@metriqs.test>", mail.FromAccount: "a@metriqs.test"}})
	}
	return fmt.Errorf("unknown job %s", m.job)
}

// tick runs n ticks at once at t.
func (w *world) tick(t time.Time, n int) {
	w.clk.set(t)
	storetest.Together(n, func(int) {
		if _, err := w.schedules.Tick(context.Background()); err != nil {
			w.t.Error(err)
		}
	})
}

func (w *world) history(uid, sid string) *delivery.History {
	h, err := w.d.Runs(context.Background(), uid, sid)
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

func header(m mail.Outgoing, k string) string { return m.Headers[k] }

func unsubToken(t *testing.T, m mail.Outgoing) string {
	u := strings.Trim(header(m, "List-Unsubscribe"), "<>")
	_, tok, ok := strings.Cut(u, "?token=")
	if !ok || !strings.HasPrefix(u, appURL+delivery.UnsubscribePath) {
		t.Fatalf("List-Unsubscribe = %q", header(m, "List-Unsubscribe"))
	}
	return tok
}

func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }
