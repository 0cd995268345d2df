package qstashdev_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upstash/qstash-go"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
	"github.com/trymetriqs/metriqs/lib/testclock"
)

func TestPublishDeliversSignedRequest(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{})
	dest := newSink(t, nil)
	url := dest.URL + "/api/jobs/generate-report"

	res, err := client.Publish(qstash.PublishOptions{
		Url: url, Body: `{"report_id":"r1"}`, ContentType: "application/json",
		Headers: map[string]string{"My-Header": "my-value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.MessageId, "msg_") || res.Deduplicated {
		t.Fatalf("publish answer = %+v", res)
	}
	if m := waitFinal(t, srv, res.MessageId); m.State != qstashdev.StateDelivered {
		t.Fatalf("state = %s, want DELIVERED", m.State)
	}

	got := dest.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	d := got[0]
	want := map[string]string{
		"Content-Type":       "application/json",
		"My-Header":          "my-value",
		"User-Agent":         "Upstash-QStash",
		"Upstash-Message-Id": res.MessageId,
		"Upstash-Retried":    "0",
	}
	for k, v := range want {
		if d.Header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, d.Header.Get(k), v)
		}
	}
	for _, k := range []string{"Authorization", "Upstash-Forward-My-Header", "Upstash-Schedule-Id"} {
		if d.Header.Get(k) != "" {
			t.Errorf("header %s was sent: %q", k, d.Header.Get(k))
		}
	}
	if d.Method != http.MethodPost || d.Path != "/api/jobs/generate-report" || string(d.Body) != `{"report_id":"r1"}` {
		t.Errorf("delivery = %s %s %s", d.Method, d.Path, d.Body)
	}

	// qstash-go's own receiver accepts it for this URL, with the current key alone...
	sig := d.Header.Get("Upstash-Signature")
	if err := qstash.NewReceiver(testCurrent, "unrelated").Verify(qstash.VerifyOptions{Signature: sig, Url: url, Body: string(d.Body)}); err != nil {
		t.Errorf("qstash-go Receiver: %v", err)
	}
	// ...and not for another URL or body.
	if err := qstash.NewReceiver(testCurrent, testNext).Verify(qstash.VerifyOptions{Signature: sig, Url: url + "x", Body: string(d.Body)}); err == nil {
		t.Error("qstash-go Receiver accepted the token for another URL")
	}
	if err := qstash.NewReceiver(testCurrent, testNext).Verify(qstash.VerifyOptions{Signature: sig, Url: url, Body: "{}"}); err == nil {
		t.Error("qstash-go Receiver accepted the token for another body")
	}

	// So does Metriqs' own verifier, with AppURL the destination's base.
	r := httptest.NewRequest(d.Method, url, strings.NewReader(string(d.Body)))
	r.Header = d.Header
	v := &jobs.Verifier{AppURL: dest.URL, CurrentSigningKey: testCurrent, NextSigningKey: testNext}
	if signed, err := v.Verify(r, jobs.Path("generate-report")); err != nil || string(signed.Body) != string(d.Body) || signed.TokenID == "" {
		t.Errorf("jobs.Verifier: %+v, err %v", signed, err)
	}
}

func TestWrongTokenIsRefused(t *testing.T) {
	srv, _ := standIn(t, qstashdev.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	bad := qstash.NewClientWith(qstash.Options{Url: hs.URL, Token: "not-the-token"})
	if _, err := bad.Publish(qstash.PublishOptions{Url: "http://127.0.0.1:1/x", Body: "x"}); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("err = %v, want Unauthorized", err)
	}
	if _, err := bad.Schedules().List(); err == nil {
		t.Fatal("schedules listed with a wrong token")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages stored after refused publishes", n)
	}
}

func TestDelayAndNotBefore(t *testing.T) {
	clk := testclock.New(time.Now().Truncate(time.Second))
	srv, client := standIn(t, qstashdev.Options{Clock: clk.Now})
	dest := newSink(t, nil)
	start := clk.Now()

	delayed, err := client.PublishJSON(qstash.PublishJSONOptions{
		Url: dest.URL + "/delayed", Body: map[string]any{"k": "v"}, Delay: "10s",
		Headers: map[string]string{"test-header": "test-value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	later, err := client.Publish(qstash.PublishOptions{
		Url: dest.URL + "/later", Body: "x", NotBefore: strconv.FormatInt(start.Add(time.Minute).Unix(), 10),
		Delay: "1s", // Upstash-Not-Before wins over Upstash-Delay
	})
	if err != nil {
		t.Fatal(err)
	}

	m, err := client.Messages().Get(delayed.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	if m.Url != dest.URL+"/delayed" || m.Body != `{"k":"v"}` || m.Method != http.MethodPost ||
		m.NotBefore != start.Add(10*time.Second).UnixMilli() || m.Header.Get("Test-Header") != "test-value" {
		t.Fatalf("message = %+v", m)
	}

	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 0 {
		t.Fatalf("%d deliveries before the delay", n)
	}
	clk.Add(10 * time.Second)
	waitIdle(t, srv)
	if got := dest.deliveries(); len(got) != 1 || got[0].Path != "/delayed" {
		t.Fatalf("after 10s: %+v", got)
	}
	if _, err := client.Messages().Get(delayed.MessageId); err == nil {
		t.Error("a delivered message can still be fetched; QStash forgets it")
	}
	clk.Add(50 * time.Second)
	waitIdle(t, srv)
	if got := dest.deliveries(); len(got) != 2 || got[1].Path != "/later" {
		t.Fatalf("after 60s: %+v", got)
	}
	_ = later
}

func TestDeduplication(t *testing.T) {
	clk := testclock.New(time.Now())
	srv, client := standIn(t, qstashdev.Options{Clock: clk.Now})
	dest := newSink(t, nil)
	publish := func(o qstash.PublishOptions) qstash.PublishOrEnqueueResponse {
		t.Helper()
		o.Url = dest.URL + o.Url
		res, err := client.Publish(o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	a := publish(qstash.PublishOptions{Url: "/a", Body: "1", DeduplicationId: "d1"})
	b := publish(qstash.PublishOptions{Url: "/a", Body: "2", DeduplicationId: "d1"})
	if a.MessageId != b.MessageId || a.Deduplicated || !b.Deduplicated {
		t.Fatalf("dedup id: %+v then %+v", a, b)
	}
	c1 := publish(qstash.PublishOptions{Url: "/c", Body: "same", ContentBasedDeduplication: true})
	c2 := publish(qstash.PublishOptions{Url: "/c", Body: "same", ContentBasedDeduplication: true})
	c3 := publish(qstash.PublishOptions{Url: "/c", Body: "other", ContentBasedDeduplication: true})
	if c1.MessageId != c2.MessageId || c1.MessageId == c3.MessageId {
		t.Fatalf("content dedup: %s %s %s", c1.MessageId, c2.MessageId, c3.MessageId)
	}
	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 3 {
		t.Fatalf("%d deliveries, want 3", n)
	}

	clk.Add(11 * time.Minute) // past the dedup window
	if d := publish(qstash.PublishOptions{Url: "/a", Body: "1", DeduplicationId: "d1"}); d.MessageId == a.MessageId || d.Deduplicated {
		t.Fatalf("dedup id remembered past its window: %+v", d)
	}
}

func TestForwardedHeadersAndMethod(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{})
	dest := newSink(t, nil)
	res, err := client.Publish(qstash.PublishOptions{
		Url: dest.URL + "/put?x=1", Body: "b", Method: http.MethodPut,
		Headers: map[string]string{"X-A": "1", "Upstash-Forward-X-B": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFinal(t, srv, res.MessageId)
	d := dest.deliveries()[0]
	if d.Method != http.MethodPut || d.Path != "/put?x=1" || d.Header.Get("X-A") != "1" || d.Header.Get("X-B") != "2" {
		t.Fatalf("delivery = %s %s %v", d.Method, d.Path, d.Header)
	}
	for k := range d.Header {
		if strings.HasPrefix(k, "Upstash-Forward") || strings.EqualFold(k, "Upstash-Method") {
			t.Errorf("configuration header %s reached the destination", k)
		}
	}
}

func TestBatch(t *testing.T) {
	srv, client := standIn(t, qstashdev.Options{})
	dest := newSink(t, nil)
	res, err := client.Batch([]qstash.BatchOptions{
		{Url: dest.URL + "/one", Body: "1", Headers: map[string]string{"X-N": "1"}},
		{Url: "not-a-url", Body: "refused"},
		{Url: dest.URL + "/two", Body: "2", Delay: "1h"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0][0].MessageId == "" || res[1][0].MessageId != "" || res[2][0].MessageId == "" {
		t.Fatalf("batch answer = %+v", res)
	}
	resJSON, err := client.BatchJSON([]qstash.BatchJSONOptions{{Url: dest.URL + "/three", Body: map[string]any{"n": 3}}})
	if err != nil || len(resJSON) != 1 || resJSON[0][0].MessageId == "" {
		t.Fatalf("batch JSON answer = %+v, %v", resJSON, err)
	}
	waitIdle(t, srv)
	got := dest.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (the third is delayed)", len(got))
	}
	paths := map[string]delivery{got[0].Path: got[0], got[1].Path: got[1]}
	if paths["/one"].Header.Get("X-N") != "1" || string(paths["/three"].Body) != `{"n":3}` ||
		paths["/three"].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("deliveries = %+v", got)
	}
}

func TestCancel(t *testing.T) {
	clk := testclock.New(time.Now())
	srv, client := standIn(t, qstashdev.Options{Clock: clk.Now})
	dest := newSink(t, nil)
	var ids []string
	for range 3 {
		res, err := client.Publish(qstash.PublishOptions{Url: dest.URL, Body: "x", Delay: "1m"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.MessageId)
	}
	if err := client.Messages().Cancel(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := client.Messages().Cancel("msg_unknown"); err == nil {
		t.Error("cancelling an unknown message succeeded")
	}
	if n, err := client.Messages().CancelMany(ids[1:2]); err != nil || n != 1 {
		t.Fatalf("CancelMany = %d, %v", n, err)
	}
	if n, err := client.Messages().CancelAll(); err != nil || n != 1 {
		t.Fatalf("CancelAll = %d, %v", n, err)
	}
	clk.Add(2 * time.Minute)
	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 0 {
		t.Fatalf("%d cancelled messages delivered", n)
	}
	if m, _ := srv.Message(ids[0]); m.State != qstashdev.StateCanceled {
		t.Fatalf("state = %s", m.State)
	}
}

func TestSigningKeys(t *testing.T) {
	_, client := standIn(t, qstashdev.Options{})
	keys, err := client.Keys().Get()
	if err != nil || keys.Current != testCurrent || keys.Next != testNext {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
}

func TestNewRequiresTokenAndKey(t *testing.T) {
	if _, err := qstashdev.New(qstashdev.Options{CurrentSigningKey: "k"}); err == nil {
		t.Error("New accepted an empty token")
	}
	if _, err := qstashdev.New(qstashdev.Options{Token: "t"}); err == nil {
		t.Error("New accepted an empty signing key")
	}
}
