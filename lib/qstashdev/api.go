package qstashdev

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
)

// maxMessage is QStash's message size limit (1 MB on the free plan).
const maxMessage = 1 << 20

// ServeHTTP serves the QStash v2 REST API. The destination URL is part of the path, as
// qstash-go sends it ("/v2/publish/https://app.example/api/jobs/x"); the resource name is
// matched case-insensitively because qstash-go v1.0.0 creates schedules at "/v2/Schedules/…".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v2/")
	if !ok {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	resource, arg, _ := strings.Cut(rest, "/")
	switch strings.ToLower(resource) {
	case "publish":
		s.handlePublish(w, r, withQuery(arg, r))
	case "batch":
		s.handleBatch(w, r)
	case "messages":
		s.handleMessages(w, r, arg)
	case "schedules":
		s.handleSchedules(w, r, arg)
	case "dlq":
		s.handleDLQ(w, r, arg)
	case "keys":
		if !allow(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"current": s.o.CurrentSigningKey, "next": s.o.NextSigningKey})
	default:
		writeError(w, http.StatusNotFound, "the stand-in does not serve /v2/"+resource)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.o.Token)) == 1
}

// POST /v2/publish/{destination}
func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request, dest string) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := s.parseRequest(dest, r.Header, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.cron != "" {
		writeError(w, http.StatusBadRequest, "Upstash-Cron belongs on POST /v2/schedules/{destination}")
		return
	}
	s.mu.Lock()
	id, dup := s.enqueueLocked(req, "", callerIP(r))
	s.mu.Unlock()
	status := http.StatusCreated
	if dup {
		status = http.StatusAccepted // QStash's answer to a duplicate: the first message's id
	}
	writeJSON(w, status, publishResponse{MessageID: id, URL: dest, Deduplicated: dup})
}

// POST /v2/batch: a JSON array of {destination, headers, body, queue}. Each entry is
// published on its own; an entry that is refused gets {"error": …} in its place.
func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	var entries []struct {
		Destination string            `json:"destination"`
		Headers     map[string]string `json:"headers"`
		Body        string            `json:"body"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		writeError(w, http.StatusBadRequest, "batch body must be a JSON array of messages: "+err.Error())
		return
	}
	out := make([]any, len(entries))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range entries {
		h := http.Header{}
		for k, v := range e.Headers {
			h.Set(k, v)
		}
		req, err := s.parseRequest(e.Destination, h, []byte(e.Body))
		if err != nil {
			out[i] = map[string]string{"error": err.Error()}
			continue
		}
		id, dup := s.enqueueLocked(req, "", callerIP(r))
		out[i] = publishResponse{MessageID: id, URL: e.Destination, Deduplicated: dup}
	}
	writeJSON(w, http.StatusCreated, out)
}

// GET /v2/messages/{id}, DELETE /v2/messages/{id}, DELETE /v2/messages [{"messageIds": […]}]
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request, id string) {
	switch {
	case id != "" && r.Method == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		// Like QStash, a message is only kept until it is delivered or moved to the DLQ.
		m, ok := s.msgs[id]
		if !ok || m.State.Final() {
			writeError(w, http.StatusNotFound, "message "+id+" not found")
			return
		}
		writeJSON(w, http.StatusOK, toWireMessage(m.clone()))
	case id != "" && r.Method == http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.cancelLocked(id); err != nil {
			writeError(w, http.StatusNotFound, "message "+id+" not found")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case id == "" && r.Method == http.MethodDelete:
		raw, ok := readBody(w, r)
		if !ok {
			return
		}
		var sel struct {
			MessageIDs []string `json:"messageIds"`
		}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &sel); err != nil {
				writeError(w, http.StatusBadRequest, `body must be {"messageIds": [...]}`)
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ids := sel.MessageIDs
		if len(raw) == 0 {
			ids = s.order // no selection: cancel everything not yet final
		}
		n := 0
		for _, id := range ids {
			if s.cancelLocked(id) == nil {
				n++
			}
		}
		writeJSON(w, http.StatusOK, map[string]int{"cancelled": n})
	default:
		methodNotAllowed(w)
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMessage))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "message is larger than 1 MB")
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "could not read the body")
		return nil, false
	}
	return b, true
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method != method {
		methodNotAllowed(w)
		return false
	}
	return true
}

func methodNotAllowed(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

// withQuery puts back a destination's query string: qstash-go pastes the destination into
// the path unescaped, so its "?…" arrives as this request's query.
func withQuery(dest string, r *http.Request) string {
	if r.URL.RawQuery != "" {
		return dest + "?" + r.URL.RawQuery
	}
	return dest
}

func callerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
