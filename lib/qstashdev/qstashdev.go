// Package qstashdev is a local stand-in for Upstash QStash, for the local server and tests.
// It speaks enough of the QStash v2 REST API that the unmodified qstash-go client works
// against it (publish, batch, messages, schedules, DLQ, keys), and it delivers messages the
// way QStash does: signed with an Upstash-Signature JWT, retried with backoff on any non-2xx
// answer, sent to the DLQ after the last retry or at once on 489 + Upstash-NonRetryable-Error,
// and fired from cron schedules. State (messages, retries, schedules, the DLQ) lives in memory
// and is lost on Close: a message in flight when the local server stops is never delivered,
// and the report it was generating is failed as timed out by lib/report's repair.
//
// Serve it on its own listener: its paths embed the destination URL ("/v2/publish/https://…"),
// and http.ServeMux would "clean" the double slash with a redirect.
package qstashdev

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/outbound"
)

// Options configures a Server.
type Options struct {
	// Token is the bearer token every API request must carry. Required.
	Token string
	// CurrentSigningKey signs deliveries; NextSigningKey is reported by GET /v2/keys.
	// CurrentSigningKey is required: QStash never sends an unsigned delivery.
	CurrentSigningKey string
	NextSigningKey    string
	// HTTPClient delivers messages; nil means an outbound client that waits DeliveryTimeout.
	HTTPClient *http.Client
	// DeliveryTimeout is how long one delivery may take before the attempt fails; zero means
	// DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration
	// Clock is the time source for due times, cron and token claims; nil means time.Now.
	// With a test clock, move it and call WaitIdle: the loop is woken to look again.
	Clock func() time.Time
	// Logger records each delivery attempt; nil means slog.Default().
	Logger *slog.Logger
	// MaxRetries is the default retry count and its ceiling, as a plan's limit is on QStash;
	// zero means 3 (QStash's free plan).
	MaxRetries int
	// Backoff is the wait before retry n (n = 1, 2, …). Nil means QStash's own
	// min(1 day, e^(2.5 n) seconds): 12 s, 2 m 28 s, 30 m 8 s, … Tests pass a tiny one.
	Backoff func(retried int) time.Duration
	// DedupWindow is how long a deduplication id is remembered; zero means 10 minutes.
	// (QStash does not document its window; this is an assumption.)
	DedupWindow time.Duration
}

// Server is the stand-in: an http.Handler for the REST API plus a delivery loop.
type Server struct {
	o Options

	mu        sync.Mutex
	msgs      map[string]*Message
	order     []string // message ids by creation
	dedup     map[string]dedupEntry
	schedules map[string]*Schedule
	dlq       []string // message ids, oldest first
	seq       uint64
	changed   chan struct{} // closed and replaced on every state change

	wake      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
	closeOnce sync.Once
}

type dedupEntry struct {
	id      string
	expires time.Time
}

// New checks o and returns a Server whose delivery loop is not yet running (see Start).
func New(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, errors.New("qstashdev: Token is required")
	}
	if o.CurrentSigningKey == "" {
		return nil, errors.New("qstashdev: CurrentSigningKey is required")
	}
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = deliveryClient(o.DeliveryTimeout)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = 10 * time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		o:         o,
		msgs:      map[string]*Message{},
		dedup:     map[string]dedupEntry{},
		schedules: map[string]*Schedule{},
		changed:   make(chan struct{}),
		wake:      make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
	}, nil
}

// DefaultDeliveryTimeout is longer than any job function may run — vercel.json's maxDuration
// for api/jobs (60 s), and the ten-times-longer job deadline of -race test builds (lib/web) —
// because QStash, too, waits for an answer longer than the function may take: a shorter wait
// would fail and retry an attempt that is still running (the ledger would answer it 409).
const DefaultDeliveryTimeout = 15 * time.Minute

// deliveryClient is an outbound client that waits d for the whole delivery, answer headers
// included (outbound's 15 s header timeout suits providers' APIs, not a job).
func deliveryClient(d time.Duration) *http.Client {
	c := outbound.NewClient(d)
	tr := outbound.NewTransport()
	tr.ResponseHeaderTimeout = d
	c.Transport = tr
	return c
}

// DefaultBackoff is QStash's documented backoff: min(1 day, e^(2.5 n) seconds) before retry n.
func DefaultBackoff(retried int) time.Duration {
	secs := math.Min(86400, math.Exp(2.5*float64(retried)))
	return time.Duration(secs * float64(time.Second))
}

// Start runs the delivery loop until Close. Calling it again does nothing.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		s.wg.Add(1)
		go s.loop()
	})
}

// Close stops the loop, cancels deliveries in flight and waits for them.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
}

// Messages returns a copy of every message, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.msgs[id].clone())
	}
	return out
}

// Message returns a copy of one message.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// Failed returns a copy of the messages in the DLQ, oldest first.
func (s *Server) Failed() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.dlq))
	for _, id := range s.dlq {
		out = append(out, s.msgs[id].clone())
	}
	return out
}

// Schedules returns a copy of every schedule, oldest first.
func (s *Server) Schedules() []Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Schedule, 0, len(s.schedules))
	for _, sc := range s.schedules {
		out = append(out, sc.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// WaitIdle returns once no delivery is in flight and nothing (message, retry or schedule) is
// due by the clock's now. Later work (a delay, a backoff, the next cron time) does not count:
// move a test clock, or use Wait for one message. The loop must be started.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle, changed := s.idleLocked(s.o.Clock()), s.changed
		s.mu.Unlock()
		if idle {
			return nil
		}
		s.poke()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait returns the message once it is delivered, failed (in the DLQ) or cancelled.
func (s *Server) Wait(ctx context.Context, id string) (Message, error) {
	for {
		s.mu.Lock()
		m, ok := s.msgs[id]
		var snap Message
		if ok {
			snap = m.clone()
		}
		changed := s.changed
		s.mu.Unlock()
		if !ok {
			return Message{}, errors.New("qstashdev: no message " + id)
		}
		if snap.State.Final() {
			return snap, nil
		}
		s.poke()
		select {
		case <-changed:
		case <-ctx.Done():
			return snap, ctx.Err()
		}
	}
}

func (s *Server) nextSeqLocked() uint64 {
	s.seq++
	return s.seq
}

func (s *Server) idleLocked(now time.Time) bool {
	for _, m := range s.msgs {
		if m.State == StateActive || (m.pending() && !m.NotBefore.After(now)) {
			return false
		}
	}
	for _, sc := range s.schedules {
		if !sc.Paused && !sc.NextRun.After(now) {
			return false
		}
	}
	return true
}

// changedLocked wakes everyone waiting for a change, and the loop.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
	s.poke()
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
