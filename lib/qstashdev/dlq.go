package qstashdev

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// handleDLQ serves
//
//	GET    /v2/dlq         ?messageId= &url= &scheduleId= &responseStatus= &count=
//	GET    /v2/dlq/{dlqId}
//	DELETE /v2/dlq/{dlqId}
//	DELETE /v2/dlq         {"dlqIds": [...]}
//
// The whole list fits in one page, so no cursor is ever returned.
func (s *Server) handleDLQ(w http.ResponseWriter, r *http.Request, dlqID string) {
	switch {
	case r.Method == http.MethodGet && (dlqID == "" || dlqID == "messages"): // older docs list at /v2/dlq/messages
		s.listDLQ(w, r)
	case r.Method == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		i := s.dlqIndexLocked(dlqID)
		if i < 0 {
			writeError(w, http.StatusNotFound, "dlq message "+dlqID+" not found")
			return
		}
		writeJSON(w, http.StatusOK, toWireDLQ(s.msgs[s.dlq[i]].clone()))
	case r.Method == http.MethodDelete && dlqID != "":
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.removeDLQLocked(dlqID) {
			writeError(w, http.StatusNotFound, "dlq message "+dlqID+" not found")
			return
		}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodDelete:
		raw, ok := readBody(w, r)
		if !ok {
			return
		}
		var sel struct {
			DlqIDs []string `json:"dlqIds"`
		}
		if err := json.Unmarshal(raw, &sel); err != nil {
			writeError(w, http.StatusBadRequest, `body must be {"dlqIds": [...]}`)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, id := range sel.DlqIDs {
			if s.removeDLQLocked(id) {
				n++
			}
		}
		writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) listDLQ(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status, _ := strconv.Atoi(q.Get("responseStatus"))
	count, _ := strconv.Atoi(q.Get("count"))
	out := []wireDLQMessage{}
	for _, m := range s.Failed() {
		switch {
		case q.Get("messageId") != "" && m.ID != q.Get("messageId"),
			q.Get("url") != "" && m.URL != q.Get("url"),
			q.Get("scheduleId") != "" && m.ScheduleID != q.Get("scheduleId"),
			status != 0 && m.LastStatus != status:
			continue
		}
		out = append(out, toWireDLQ(m))
		if count > 0 && len(out) == count {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) dlqIndexLocked(dlqID string) int {
	return slices.IndexFunc(s.dlq, func(id string) bool { return s.msgs[id].DLQID == dlqID })
}

// removeDLQLocked drops a message from the DLQ; the message stays FAILED in the history.
func (s *Server) removeDLQLocked(dlqID string) bool {
	i := s.dlqIndexLocked(dlqID)
	if i < 0 {
		return false
	}
	s.dlq = slices.Delete(s.dlq, i, i+1)
	s.changedLocked()
	return true
}
