package qstashdev

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule publishes a message each time its cron expression fires.
type Schedule struct {
	ID          string
	Cron        string
	Destination string
	Method      string
	Header      http.Header
	Body        []byte
	Retries     int
	Delay       time.Duration
	CreatedAt   time.Time
	LastRun     time.Time
	NextRun     time.Time
	LastMessage string // id of the message the last run published
	Paused      bool
	CallerIP    string
	spec        cron.Schedule
	seq         uint64 // creation order; the clock may not tell two apart
}

func (sc *Schedule) clone() Schedule {
	c := *sc
	c.Header = sc.Header.Clone()
	c.Body = append([]byte(nil), sc.Body...)
	return c
}

// parseCron accepts what QStash does: five standard fields evaluated in UTC, or a
// "CRON_TZ=Area/City " prefix for another zone.
func parseCron(expr string) (cron.Schedule, error) {
	if expr == "" {
		return nil, fmt.Errorf("Upstash-Cron header is required")
	}
	if !strings.HasPrefix(expr, "CRON_TZ=") && !strings.HasPrefix(expr, "TZ=") {
		expr = "CRON_TZ=UTC " + expr // robfig/cron would use the local zone
	}
	spec, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression: %w", err)
	}
	return spec, nil
}

// fireLocked publishes the schedule's message now and sets its next run. Runs missed while
// the loop was not looking are not caught up, one message per firing at most.
func (s *Server) fireLocked(sc *Schedule, now time.Time) {
	r := request{dest: sc.Destination, method: sc.Method, header: sc.Header, body: sc.Body, retries: sc.Retries, delay: sc.Delay}
	sc.LastMessage, _ = s.enqueueLocked(r, sc.ID, sc.CallerIP)
	sc.LastRun = now
	sc.NextRun = sc.spec.Next(now)
}

// handleSchedules serves
//
//	POST   /v2/schedules/{destination}  (Upstash-Cron; Upstash-Schedule-Id to overwrite)
//	GET    /v2/schedules
//	GET    /v2/schedules/{id}
//	DELETE /v2/schedules/{id}
//	PATCH  /v2/schedules/{id}/pause, /v2/schedules/{id}/resume
func (s *Server) handleSchedules(w http.ResponseWriter, r *http.Request, arg string) {
	switch {
	case r.Method == http.MethodPost && strings.Contains(arg, "://"):
		s.createSchedule(w, r, withQuery(arg, r))
	case r.Method == http.MethodGet && arg == "":
		list := s.Schedules()
		out := make([]wireSchedule, 0, len(list))
		for _, sc := range list {
			out = append(out, toWireSchedule(sc))
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		sc, ok := s.schedules[arg]
		if !ok {
			writeError(w, http.StatusNotFound, "schedule "+arg+" not found")
			return
		}
		writeJSON(w, http.StatusOK, toWireSchedule(sc.clone()))
	case r.Method == http.MethodDelete && arg != "":
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.schedules[arg]; !ok {
			writeError(w, http.StatusNotFound, "schedule "+arg+" not found")
			return
		}
		delete(s.schedules, arg)
		s.changedLocked()
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPatch:
		id, action, _ := strings.Cut(arg, "/")
		s.mu.Lock()
		defer s.mu.Unlock()
		sc, ok := s.schedules[id]
		if !ok || (action != "pause" && action != "resume") {
			writeError(w, http.StatusNotFound, "schedule "+id+" not found")
			return
		}
		sc.Paused = action == "pause"
		if !sc.Paused {
			sc.NextRun = sc.spec.Next(s.o.Clock()) // no burst of the runs missed while paused
		}
		s.changedLocked()
		w.WriteHeader(http.StatusOK)
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request, dest string) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := s.parseRequest(dest, r.Header, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	spec, err := parseCron(req.cron)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock()
	id := req.scheduleID
	if id == "" {
		id = "scd_" + randomID()
	}
	s.schedules[id] = &Schedule{
		ID: id, Cron: req.cron, Destination: dest, Method: req.method, Header: req.header,
		Body: body, Retries: req.retries, Delay: req.delay, CreatedAt: now, NextRun: spec.Next(now),
		CallerIP: callerIP(r), spec: spec, seq: s.nextSeqLocked(),
	}
	s.changedLocked()
	writeJSON(w, http.StatusOK, map[string]string{"scheduleId": id})
}
