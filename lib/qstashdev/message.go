package qstashdev

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State is where a message is in its life, named as QStash's events name it.
type State string

const (
	StateCreated   State = "CREATED"   // waiting for its first attempt
	StateActive    State = "ACTIVE"    // an attempt is in flight
	StateRetry     State = "RETRY"     // waiting for its next attempt
	StateDelivered State = "DELIVERED" // a 2xx answer
	StateFailed    State = "FAILED"    // in the DLQ
	StateCanceled  State = "CANCELED"
)

// Final reports whether nothing more will happen to a message in this state.
func (s State) Final() bool {
	return s == StateDelivered || s == StateFailed || s == StateCanceled
}

// Attempt is one delivery attempt.
type Attempt struct {
	At      time.Time
	Retried int    // the Upstash-Retried value sent
	Status  int    // 0 when no HTTP answer came
	Error   string // transport error, if any
}

// Message is a published (or schedule-fired) message.
type Message struct {
	ID          string
	URL         string
	Method      string
	Header      http.Header // forwarded headers (prefix removed) and Content-Type
	Body        []byte
	MaxRetries  int
	Retried     int       // retries made so far
	NotBefore   time.Time // when the next attempt is due
	CreatedAt   time.Time
	ScheduleID  string
	CallerIP    string
	State       State
	Attempts    []Attempt
	DLQID       string
	LastStatus  int
	LastHeader  http.Header
	LastBody    []byte
	cancelAsked bool
}

func (m *Message) pending() bool { return m.State == StateCreated || m.State == StateRetry }

func (m *Message) clone() Message {
	c := *m
	c.Header = m.Header.Clone()
	c.LastHeader = m.LastHeader.Clone()
	c.Body = append([]byte(nil), m.Body...)
	c.LastBody = append([]byte(nil), m.LastBody...)
	c.Attempts = append([]Attempt(nil), m.Attempts...)
	return c
}

// request is what a publish, batch entry or schedule asks for, read from Upstash-* headers.
type request struct {
	dest         string
	method       string
	header       http.Header
	body         []byte
	retries      int
	delay        time.Duration
	notBefore    time.Time
	dedupID      string
	contentDedup bool
	cron         string
	scheduleID   string
}

// parseRequest reads the Upstash-* headers of a publish or schedule request the way QStash
// does: Upstash-Forward-X is delivered as X, Content-Type is kept, the rest configures.
func (s *Server) parseRequest(dest string, h http.Header, body []byte) (request, error) {
	r := request{dest: dest, method: http.MethodPost, header: http.Header{}, body: body, retries: s.o.MaxRetries}
	u, err := url.Parse(dest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return r, fmt.Errorf("invalid destination %q: the stand-in delivers to http(s) URLs only (no URL groups or APIs)", dest)
	}
	for k, vs := range h {
		if name, ok := cutPrefixFold(k, "Upstash-Forward-"); ok && name != "" {
			r.header[http.CanonicalHeaderKey(name)] = append([]string(nil), vs...)
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		r.header.Set("Content-Type", ct)
	}
	if m := strings.ToUpper(h.Get("Upstash-Method")); m != "" {
		switch m {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
			r.method = m
		default:
			return r, fmt.Errorf("invalid Upstash-Method %q", m)
		}
	}
	if v := h.Get("Upstash-Retries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return r, fmt.Errorf("invalid Upstash-Retries %q", v)
		}
		r.retries = min(n, s.o.MaxRetries) // the plan's limit caps it, as on QStash
	}
	if v := h.Get("Upstash-Delay"); v != "" {
		if r.delay, err = parseDelay(v); err != nil {
			return r, err
		}
	}
	if v := h.Get("Upstash-Not-Before"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 {
			return r, fmt.Errorf("invalid Upstash-Not-Before %q (want unix seconds)", v)
		}
		r.notBefore = time.Unix(secs, 0) // takes precedence over Upstash-Delay
	}
	r.dedupID = h.Get("Upstash-Deduplication-Id")
	r.contentDedup = strings.EqualFold(h.Get("Upstash-Content-Based-Deduplication"), "true")
	r.cron = h.Get("Upstash-Cron")
	r.scheduleID = h.Get("Upstash-Schedule-Id")
	for _, unsupported := range []string{"Upstash-Callback", "Upstash-Failure-Callback"} {
		if h.Get(unsupported) != "" {
			s.o.Logger.Warn("qstashdev: header not supported by the stand-in; ignored", "header", unsupported)
		}
	}
	return r, nil
}

// parseDelay reads QStash's delay format: a number and s, m, h or d ("10s", "1d"); Go's
// compound durations ("1h30m") are accepted too.
func parseDelay(v string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid Upstash-Delay %q (want e.g. 10s, 5m, 2h, 1d)", v)
	}
	return d, nil
}

// dedupKey is the key a request is deduplicated by, or "" when it asks for none. Content
// deduplication covers destination, body and the delivered headers, as QStash documents.
func (r request) dedupKey() string {
	if r.dedupID != "" {
		return "id:" + r.dedupID
	}
	if !r.contentDedup {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", r.method, r.dest)
	h.Write(r.body)
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, strings.Join(r.header[k], ","))
	}
	return "content:" + hex.EncodeToString(h.Sum(nil))
}

// enqueueLocked stores a new message for r, or returns the id of the message it duplicates.
func (s *Server) enqueueLocked(r request, scheduleID, callerIP string) (id string, duplicate bool) {
	now := s.o.Clock()
	key := r.dedupKey()
	if key != "" {
		for k, e := range s.dedup {
			if !e.expires.After(now) {
				delete(s.dedup, k)
			}
		}
		if e, ok := s.dedup[key]; ok {
			return e.id, true
		}
	}
	m := &Message{
		ID: "msg_" + randomID(), URL: r.dest, Method: r.method, Header: r.header.Clone(),
		Body: append([]byte(nil), r.body...), MaxRetries: r.retries, NotBefore: now.Add(r.delay),
		CreatedAt: now, ScheduleID: scheduleID, CallerIP: callerIP, State: StateCreated,
	}
	if !r.notBefore.IsZero() {
		m.NotBefore = r.notBefore
	}
	if key != "" {
		s.dedup[key] = dedupEntry{id: m.ID, expires: now.Add(s.o.DedupWindow)}
	}
	s.msgs[m.ID] = m
	s.order = append(s.order, m.ID)
	s.changedLocked()
	return m.ID, false
}

// cancelLocked cancels a message that has not reached a final state.
func (s *Server) cancelLocked(id string) error {
	m, ok := s.msgs[id]
	if !ok || m.State.Final() {
		return errNotFound
	}
	if m.State == StateActive {
		m.cancelAsked = true // the attempt in flight finishes; nothing follows it
		return nil
	}
	m.State = StateCanceled
	s.changedLocked()
	return nil
}

var errNotFound = errors.New("not found")

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
