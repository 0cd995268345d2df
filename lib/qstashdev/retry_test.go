package qstashdev_test

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upstash/qstash-go"

	"github.com/trymetriqs/metriqs/lib/qstashdev"
)

// backoffLog records the retry numbers the stand-in asked a backoff for, and waits 0.
type backoffLog struct {
	mu sync.Mutex
	n  []int
}

func (b *backoffLog) backoff(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n = append(b.n, n)
	return 0
}

func (b *backoffLog) calls() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.n)
}

func retriedHeaders(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Header.Get("Upstash-Retried"))
	}
	return out
}

func TestRetriesWithBackoffThenDLQ(t *testing.T) {
	var bo backoffLog
	srv, client := standIn(t, qstashdev.Options{Backoff: bo.backoff})
	dest := newSink(t, func(_ int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "boom")
	})

	res, err := client.Publish(qstash.PublishOptions{Url: dest.URL, Body: "x", Retries: qstash.RetryCount(2)})
	if err != nil {
		t.Fatal(err)
	}
	if m := waitFinal(t, srv, res.MessageId); m.State != qstashdev.StateFailed || len(m.Attempts) != 3 {
		t.Fatalf("state %s after %d attempts, want FAILED after 3", m.State, len(m.Attempts))
	}
	if got := retriedHeaders(dest.deliveries()); !slices.Equal(got, []string{"0", "1", "2"}) {
		t.Fatalf("Upstash-Retried = %v", got)
	}
	if got := bo.calls(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("backoff asked for %v, want [1 2]", got)
	}

	list, cursor, err := client.Dlq().List(qstash.ListDlqOptions{Filter: qstash.DlqFilter{MessageId: res.MessageId}})
	if err != nil || len(list) != 1 || cursor != "" {
		t.Fatalf("DLQ list = %+v, %q, %v", list, cursor, err)
	}
	entry := list[0]
	if entry.MessageId != res.MessageId || entry.ResponseStatus != 500 || entry.ResponseBody != "boom" || entry.Url != dest.URL || entry.Body != "x" {
		t.Fatalf("DLQ entry = %+v", entry)
	}
	if got, err := client.Dlq().Get(entry.DlqId); err != nil || got.MessageId != res.MessageId {
		t.Fatalf("DLQ get = %+v, %v", got, err)
	}
	if err := client.Dlq().Delete(entry.DlqId); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := client.Dlq().List(qstash.ListDlqOptions{}); len(list) != 0 || len(srv.Failed()) != 0 {
		t.Fatalf("DLQ not empty after delete: %+v", list)
	}
}

func TestDefaultRetriesAreCappedByMaxRetries(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{MaxRetries: 1, Backoff: noBackoff})
	dest := newSink(t, status(http.StatusBadGateway))
	def, err := client.Publish(qstash.PublishOptions{Url: dest.URL + "/default", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	many, err := client.Publish(qstash.PublishOptions{Url: dest.URL + "/many", Body: "x", Retries: qstash.RetryCount(10)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{def.MessageId, many.MessageId} {
		if m := waitFinal(t, srv, id); len(m.Attempts) != 2 || m.MaxRetries != 1 {
			t.Errorf("%s: %d attempts, maxRetries %d; want 2 and 1", m.URL, len(m.Attempts), m.MaxRetries)
		}
	}
	if n, err := client.Dlq().DeleteMany([]string{srv.Failed()[0].DLQID, srv.Failed()[1].DLQID}); err != nil || n != 2 {
		t.Fatalf("DeleteMany = %d, %v", n, err)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{Backoff: noBackoff})
	dest := newSink(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	res, err := client.Publish(qstash.PublishOptions{Url: dest.URL, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if m := waitFinal(t, srv, res.MessageId); m.State != qstashdev.StateDelivered || m.Retried != 1 {
		t.Fatalf("state %s, retried %d", m.State, m.Retried)
	}
	if got := retriedHeaders(dest.deliveries()); !slices.Equal(got, []string{"0", "1"}) {
		t.Fatalf("Upstash-Retried = %v", got)
	}
	if n := len(srv.Failed()); n != 0 {
		t.Fatalf("%d messages in the DLQ", n)
	}
}

func TestNonRetryableGoesStraightToDLQ(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{Backoff: noBackoff})
	giveUp := newSink(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Upstash-NonRetryable-Error", "true")
		w.WriteHeader(489)
	})
	// 489 without the header is just another failure: retried.
	plain := newSink(t, status(489))

	a, err := client.Publish(qstash.PublishOptions{Url: giveUp.URL, Body: "x", Retries: qstash.RetryCount(3)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Publish(qstash.PublishOptions{Url: plain.URL, Body: "x", Retries: qstash.RetryCount(1)})
	if err != nil {
		t.Fatal(err)
	}
	waitFinal(t, srv, a.MessageId)
	waitFinal(t, srv, b.MessageId)
	if n := len(giveUp.deliveries()); n != 1 {
		t.Errorf("non-retryable: %d deliveries, want 1", n)
	}
	if n := len(plain.deliveries()); n != 2 {
		t.Errorf("489 without header: %d deliveries, want 2", n)
	}
	list, _, err := client.Dlq().List(qstash.ListDlqOptions{Filter: qstash.DlqFilter{ResponseStatus: 489}})
	if err != nil || len(list) != 2 {
		t.Fatalf("DLQ = %+v, %v", list, err)
	}
}

func TestRetryAfterOverridesBackoff(t *testing.T) {
	var bo backoffLog
	srv, client := standIn(t, qstashdev.Options{Backoff: func(n int) time.Duration { bo.backoff(n); return time.Hour }})
	dest := newSink(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	res, err := client.Publish(qstash.PublishOptions{Url: dest.URL, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if m := waitFinal(t, srv, res.MessageId); m.State != qstashdev.StateDelivered {
		t.Fatalf("state %s", m.State)
	}
	if got := bo.calls(); len(got) != 0 {
		t.Fatalf("backoff used despite Retry-After: %v", got)
	}
}

func TestUnreachableDestinationIsRetried(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{Backoff: noBackoff})
	dead := newSink(t, nil)
	url := dead.URL
	dead.Close()
	res, err := client.Publish(qstash.PublishOptions{Url: url, Body: "x", Retries: qstash.RetryCount(1)})
	if err != nil {
		t.Fatal(err)
	}
	m := waitFinal(t, srv, res.MessageId)
	if m.State != qstashdev.StateFailed || len(m.Attempts) != 2 || m.Attempts[0].Error == "" || m.Attempts[0].Status != 0 {
		t.Fatalf("message = %+v", m)
	}
}
