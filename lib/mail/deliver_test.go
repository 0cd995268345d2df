package mail

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/jobs"
)

// A delivered message is rendered, sent with a stable Message-ID and idempotency key, and
// recorded sent with the server's answer; the data (its link has a token) is dropped.
func TestDeliverSends(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("verify:1")); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Deliver(ctx, body("u1", "verify:1"), f.out); err != nil {
		t.Fatal(err)
	}
	if f.tr.count() != 1 {
		t.Fatalf("%d sends", f.tr.count())
	}
	o := f.tr.sent[0]
	id := digest("u1", "verify:1")
	if o.From != "Metriqs <account@mail.metriqs.test>" || o.To != "ada@example.com" || o.Subject != "Grüße, Ada" ||
		o.MessageID != "<"+id+"@mail.metriqs.test>" || o.IdempotencyKey != id || !o.Date.Equal(f.clk.Now()) ||
		!strings.Contains(o.HTML, "Line &lt;1&gt;") || !strings.Contains(o.Text, "secret-token") {
		t.Fatalf("outgoing = %+v", o)
	}
	r := f.record(t, "u1", "verify:1")
	if r.Status != StatusSent || r.Reply != "250 2.0.0 Ok: queued as TEST" || r.MessageID != o.MessageID || r.Data != nil || r.Claim != "" || r.SentAt.IsZero() {
		t.Fatalf("record = %+v", r)
	}
	recs, err := f.s.Sent(ctx, "u1")
	if err != nil || len(recs) != 1 || recs[0].Status != StatusSent || recs[0].Kind != "test_kind" {
		t.Fatalf("Sent = %+v, %v", recs, err)
	}
}

// QStash delivers twice, and out of order: a redelivery after the send sends nothing, and a
// delivery for a record that is gone (account purged) sends nothing and recreates nothing.
func TestDeliverRedelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := f.s.Deliver(ctx, body("u1", "k"), f.out); err != nil {
			t.Fatal(err)
		}
	}
	if f.tr.count() != 1 {
		t.Fatalf("%d sends for one message", f.tr.count())
	}
	if err := f.s.Deliver(ctx, body("u2", "never-queued"), f.out); err != nil || f.tr.count() != 1 {
		t.Fatalf("a missing record: %v, %d sends", err, f.tr.count())
	}
	if n := f.s.st.R.Exists(ctx, f.s.mailKey("u2"), f.s.st.IndexKey("u2")).Val(); n != 0 {
		t.Fatal("a delivery recreated a purged user's keys")
	}
	if err := f.s.Deliver(ctx, []byte(`{"user_id":""}`), f.out); !jobs.IsPermanent(err) {
		t.Fatalf("malformed body: %v, want permanent", err)
	}
}

// Twenty deliveries of one message released together against the real Redis: exactly one
// sends, the others are told to retry (or find it sent), and the record says sent once.
func TestDeliverConcurrentOneSend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	const n = 20
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f.s.Deliver(ctx, body("u1", "k"), f.out)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, errBusy):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if f.tr.count() != 1 || ok < 1 {
		t.Fatalf("%d sends, %d deliveries done; want exactly one send", f.tr.count(), ok)
	}
	if r := f.record(t, "u1", "k"); r.Status != StatusSent || r.Attempts != 1 {
		t.Fatalf("record = %+v", r)
	}
}

// While one delivery is talking to the SMTP server another is refused with a retryable
// error; once the claim's lease has passed (the first died), the next one may send.
func TestDeliverClaimLease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	c, err := f.s.claim(ctx, "u1", "k") // a delivery that claimed and then died
	if err != nil || c == nil {
		t.Fatalf("claim: %v", err)
	}
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); !errors.Is(err, errBusy) || jobs.IsPermanent(err) || f.tr.count() != 0 {
		t.Fatalf("during the lease: %v, %d sends", err, f.tr.count())
	}
	f.clk.Add(ClaimLease + 1)
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); err != nil || f.tr.count() != 1 {
		t.Fatalf("after the lease: %v, %d sends", err, f.tr.count())
	}
}

// A 5xx refusal is final: the record says bounced, the user's address is marked as bouncing,
// the job ends as Permanent (no retry), and a later delivery sends nothing. ClearBounce
// forgets it.
func TestDeliverBounce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	f.tr.err = &Refusal{Code: 550, Reply: "5.1.1 <ada@example.com>: Recipient address rejected"}
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); !jobs.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	r := f.record(t, "u1", "k")
	b, bounced, err := f.s.Bounce(ctx, "u1")
	if r.Status != StatusBounced || !strings.Contains(r.Error, "550") || err != nil || !bounced || b.Address != "ada@example.com" || !strings.HasPrefix(b.Reason, "550 ") {
		t.Fatalf("record %+v, bounce %+v %v %v", r, b, bounced, err)
	}
	if ok, _ := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.bounceKey("u1")).Result(); !ok {
		t.Fatal("the bounce key is not in the user's index")
	}
	f.tr.err = nil
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); err != nil || f.tr.count() != 0 {
		t.Fatalf("a bounced message was sent again: %v", err)
	}
	if err := f.s.ClearBounce(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, bounced, _ := f.s.Bounce(ctx, "u1"); bounced {
		t.Fatal("bounce not cleared")
	}
}

// A temporary failure (4xx, timeout, no connection) gives the message back and returns a
// plain error, so QStash retries; the retry sends it.
func TestDeliverTemporaryFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	f.tr.err = errors.New("421 4.7.0 try again later")
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if r := f.record(t, "u1", "k"); r.Status != StatusQueued || r.Claim != "" || !strings.Contains(r.Error, "421") {
		t.Fatalf("record = %+v", r)
	}
	if _, bounced, _ := f.s.Bounce(ctx, "u1"); bounced {
		t.Fatal("a temporary failure was recorded as a bounce")
	}
	f.tr.err = nil
	if err := f.s.Deliver(ctx, body("u1", "k"), f.out); err != nil || f.tr.count() != 1 {
		t.Fatalf("retry: %v, %d sends", err, f.tr.count())
	}
}

// A kind nothing renders, or content that would inject headers, fails for good without a send.
func TestDeliverUnrenderable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, kind := range []string{"no_such_kind", "test_header"} {
		m := testMessage("k-" + kind)
		m.Kind = kind
		if err := f.s.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Deliver(ctx, body("u1", m.Key), f.out); !jobs.IsPermanent(err) {
			t.Fatalf("%s: err = %v, want permanent", kind, err)
		}
		if r := f.record(t, "u1", m.Key); r.Status != StatusFailed {
			t.Fatalf("%s: record = %+v", kind, r)
		}
	}
	if f.tr.count() != 0 {
		t.Fatal("an unrenderable message was sent")
	}
}
