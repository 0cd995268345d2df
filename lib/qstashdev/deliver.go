package qstashdev

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxIdleWait makes the loop look again now and then even when nothing is due, so a clock
	// that jumps (a laptop waking up) is noticed.
	maxIdleWait = time.Minute
	// maxKeptResponse is how much of a failed answer the DLQ keeps.
	maxKeptResponse = 64 << 10
	// maxRetryAfter is QStash's cap on a delay asked for by Retry-After: one day.
	maxRetryAfter = 24 * time.Hour
)

// loop fires what is due, then sleeps until the next due time or a change.
func (s *Server) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(maxIdleWait)
	defer timer.Stop()
	for {
		next := s.dispatchDue()
		wait := maxIdleWait
		if !next.IsZero() {
			wait = min(max(next.Sub(s.o.Clock()), 0), maxIdleWait)
		}
		timer.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// dispatchDue fires due schedules, starts an attempt for every due message, and returns the
// earliest time something else becomes due (zero when nothing is waiting).
func (s *Server) dispatchDue() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return time.Time{}
	}
	now := s.o.Clock()
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, sc := range s.schedules {
		if sc.Paused {
			continue
		}
		if !sc.NextRun.After(now) {
			s.fireLocked(sc, now)
		}
		earliest(sc.NextRun)
	}
	started := false
	for _, id := range s.order {
		m := s.msgs[id]
		if !m.pending() {
			continue
		}
		if m.NotBefore.After(now) {
			earliest(m.NotBefore)
			continue
		}
		m.State = StateActive
		started = true
		s.wg.Add(1)
		go s.attempt(m.clone(), now)
	}
	if started {
		s.changedLocked()
	}
	return next
}

// outcome is what one attempt got back.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// attempt delivers m once, as QStash does, and settles the message with the answer.
func (s *Server) attempt(m Message, now time.Time) {
	defer s.wg.Done()
	out := s.send(m, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(m.ID, out, now)
}

func (s *Server) send(m Message, now time.Time) outcome {
	sig, err := sign(s.o.CurrentSigningKey, m.URL, m.Body, now)
	if err != nil {
		return outcome{err: err}
	}
	req, err := http.NewRequestWithContext(s.ctx, m.Method, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return outcome{err: err}
	}
	for k, vs := range m.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("User-Agent", "Upstash-QStash")
	req.Header.Set("Upstash-Signature", sig)
	req.Header.Set("Upstash-Message-Id", m.ID)
	req.Header.Set("Upstash-Retried", strconv.Itoa(m.Retried))
	if m.ScheduleID != "" {
		req.Header.Set("Upstash-Schedule-Id", m.ScheduleID)
	}
	if m.CallerIP != "" {
		req.Header.Set("Upstash-Caller-Ip", m.CallerIP)
	}
	res, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxKeptResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // let the connection be reused
	return outcome{status: res.StatusCode, header: res.Header, body: body}
}

// settleLocked records an attempt and decides what follows: done, a retry after backoff, or
// the DLQ (retries exhausted, or a 489 with Upstash-NonRetryable-Error: true).
func (s *Server) settleLocked(id string, out outcome, at time.Time) {
	m := s.msgs[id]
	if s.ctx.Err() != nil {
		return // closing: the attempt was cut short, not answered
	}
	defer s.changedLocked()
	a := Attempt{At: at, Retried: m.Retried, Status: out.status}
	if out.err != nil {
		a.Error = out.err.Error()
	}
	m.Attempts = append(m.Attempts, a)
	m.LastStatus, m.LastHeader, m.LastBody = out.status, out.header, out.body
	ok := out.err == nil && out.status >= 200 && out.status < 300
	nonRetryable := out.status == 489 && strings.EqualFold(out.header.Get("Upstash-NonRetryable-Error"), "true")
	log := s.o.Logger.With("message_id", m.ID, "url", m.URL, "retried", m.Retried, "status", out.status)
	switch {
	case ok:
		m.State = StateDelivered
		log.Info("qstashdev: delivered")
	case m.cancelAsked:
		m.State = StateCanceled
		log.Info("qstashdev: attempt failed; message was cancelled")
	case nonRetryable || m.Retried >= m.MaxRetries:
		m.State = StateFailed
		m.DLQID = "dlq_" + randomID()
		s.dlq = append(s.dlq, m.ID)
		log.Warn("qstashdev: failed; moved to the DLQ", "non_retryable", nonRetryable, "err", a.Error)
	default:
		m.Retried++
		m.State = StateRetry
		wait := s.retryDelay(out, m.Retried, at)
		m.NotBefore = s.o.Clock().Add(wait)
		log.Info("qstashdev: attempt failed; will retry", "in", wait, "err", a.Error)
	}
}

// retryDelay is the wait before retry n: what the answer asked for with Retry-After (or the
// X-RateLimit-Reset family), when it asked for no more than a day, else the backoff.
func (s *Server) retryDelay(out outcome, retried int, now time.Time) time.Duration {
	for _, h := range []string{"Retry-After", "X-RateLimit-Reset", "X-RateLimit-Reset-Requests", "X-RateLimit-Reset-Tokens"} {
		if v := out.header.Get(h); v != "" {
			if d, ok := parseRetryAfter(v, now); ok && d <= maxRetryAfter {
				return d
			}
		}
	}
	return s.o.Backoff(retried)
}

// parseRetryAfter reads seconds, an HTTP date, or a Go duration ("6m5s"), as QStash does.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, true
	}
	return 0, false
}
