package qstashdev

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"
)

// The JSON shapes below are the ones qstash-go v1.0.0 parses (messages.go, schedule.go,
// dlq.go): times in unix milliseconds, a body as text when it is UTF-8, else as base64.

type wireMessage struct {
	MessageID  string      `json:"messageId"`
	URL        string      `json:"url,omitempty"`
	Method     string      `json:"method"`
	Header     http.Header `json:"header"`
	Body       string      `json:"body,omitempty"`
	BodyBase64 string      `json:"bodyBase64,omitempty"`
	MaxRetries int         `json:"maxRetries"`
	NotBefore  int64       `json:"notBefore"`
	CreatedAt  int64       `json:"createdAt"`
	ScheduleID string      `json:"scheduleId,omitempty"`
	CallerIP   string      `json:"callerIP,omitempty"`
}

type wireDLQMessage struct {
	wireMessage
	DlqID              string      `json:"dlqId"`
	ResponseStatus     int         `json:"responseStatus,omitempty"`
	ResponseHeader     http.Header `json:"responseHeader,omitempty"`
	ResponseBody       string      `json:"responseBody,omitempty"`
	ResponseBodyBase64 string      `json:"responseBodyBase64,omitempty"`
}

type wireSchedule struct {
	ScheduleID       string      `json:"scheduleId"`
	CreatedAt        int64       `json:"createdAt"`
	Cron             string      `json:"cron"`
	Destination      string      `json:"destination"`
	Method           string      `json:"method"`
	Header           http.Header `json:"header,omitempty"`
	Body             string      `json:"body,omitempty"`
	BodyBase64       string      `json:"bodyBase64,omitempty"`
	Retries          int         `json:"retries"`
	Delay            int64       `json:"delay,omitempty"`
	LastScheduleTime int64       `json:"lastScheduleTime,omitempty"`
	NextScheduleTime int64       `json:"nextScheduleTime,omitempty"`
	CallerIP         string      `json:"callerIP,omitempty"`
	IsPaused         bool        `json:"isPaused,omitempty"`
}

type publishResponse struct {
	MessageID    string `json:"messageId"`
	URL          string `json:"url,omitempty"`
	Deduplicated bool   `json:"deduplicated,omitempty"`
}

func toWireMessage(m Message) wireMessage {
	w := wireMessage{
		MessageID: m.ID, URL: m.URL, Method: m.Method, Header: m.Header, MaxRetries: m.MaxRetries,
		NotBefore: millis(m.NotBefore), CreatedAt: millis(m.CreatedAt), ScheduleID: m.ScheduleID, CallerIP: m.CallerIP,
	}
	w.Body, w.BodyBase64 = textOrBase64(m.Body)
	return w
}

func toWireDLQ(m Message) wireDLQMessage {
	w := wireDLQMessage{wireMessage: toWireMessage(m), DlqID: m.DLQID, ResponseStatus: m.LastStatus, ResponseHeader: m.LastHeader}
	w.ResponseBody, w.ResponseBodyBase64 = textOrBase64(m.LastBody)
	return w
}

func toWireSchedule(sc Schedule) wireSchedule {
	w := wireSchedule{
		ScheduleID: sc.ID, CreatedAt: millis(sc.CreatedAt), Cron: sc.Cron, Destination: sc.Destination,
		Method: sc.Method, Header: sc.Header, Retries: sc.Retries, Delay: int64(sc.Delay / time.Second),
		LastScheduleTime: millis(sc.LastRun), NextScheduleTime: millis(sc.NextRun), CallerIP: sc.CallerIP, IsPaused: sc.Paused,
	}
	w.Body, w.BodyBase64 = textOrBase64(sc.Body)
	return w
}

func textOrBase64(b []byte) (text, b64 string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return "", base64.StdEncoding.EncodeToString(b)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers as QStash does: {"error": "..."}, which qstash-go turns into its error.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
