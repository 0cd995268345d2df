package mail

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Header injection (CWE-93): CR, LF or NUL in anything that reaches a header, a second
// address, or a display name in To is refused with a 400, and nothing is stored or published.
func TestEnqueueRefusesUnsafeMessages(t *testing.T) {
	f := newFixture(t)
	for name, change := range map[string]func(*Message){
		"CRLF in To":     func(m *Message) { m.To = "ada@example.com\r\nBcc: victim@example.com" },
		"LF in To":       func(m *Message) { m.To = "ada@example.com\nx" },
		"NUL in To":      func(m *Message) { m.To = "ada@exa\x00mple.com" },
		"two recipients": func(m *Message) { m.To = "ada@example.com,eve@example.com" },
		"display name":   func(m *Message) { m.To = "Ada <ada@example.com>" },
		"no domain":      func(m *Message) { m.To = "ada@" },
		"CRLF in Key":    func(m *Message) { m.Key = "k\r\nx" },
		"empty Key":      func(m *Message) { m.Key = "" },
		"no UserID":      func(m *Message) { m.UserID = "" },
		"bad Kind":       func(m *Message) { m.Kind = "Test\r\nKind" },
		"unknown sender": func(m *Message) { m.From = "billing" },
		"NUL in data":    func(m *Message) { m.Data = map[string]string{"x": "a\x00b"} },
		"oversized data": func(m *Message) { m.Data = map[string]string{"x": strings.Repeat("a", maxDataBytes+1)} },
	} {
		m := testMessage("k-" + name)
		change(&m)
		err := f.s.Enqueue(context.Background(), m)
		if p, ok := problem.As(err); !ok || p.Status != 400 || p.Code != "invalid_request" {
			t.Errorf("%s: err = %v, want 400 invalid_request", name, err)
		}
	}
	if n, _ := f.s.st.R.Exists(context.Background(), f.s.mailKey("u1")).Result(); n != 0 || f.pub.count() != 0 {
		t.Fatalf("a refused message was stored (%d) or published (%d)", n, f.pub.count())
	}
}

// Enqueue stores the record in the user's index and publishes one send-email job whose
// deduplication id is derived from (user, key) and reveals neither.
func TestEnqueueStoresAndPublishes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("verify:abc")); err != nil {
		t.Fatal(err)
	}
	r := f.record(t, "u1", "verify:abc")
	if r.Status != StatusQueued || r.To != "ada@example.com" || r.Data["name"] != "Ada" || !r.QueuedAt.Equal(f.clk.Now()) {
		t.Fatalf("record = %+v", r)
	}
	if ok, _ := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.mailKey("u1")).Result(); !ok {
		t.Fatal("the mail hash is not in the user's index")
	}
	if f.pub.count() != 1 || f.pub.msgs[0].path != "/v2/publish/https://app.metriqs.test/api/jobs/send-email" ||
		f.pub.msgs[0].body != `{"user_id":"u1","key":"verify:abc"}` || f.pub.msgs[0].header.Get("Upstash-Retries") != fmt.Sprint(Retries) {
		t.Fatalf("published %+v", f.pub.msgs)
	}
	if id := dedupOf(f.pub.msgs[0]); id != "mail-"+digest("u1", "verify:abc") || strings.Contains(id, "verify") {
		t.Fatalf("dedup id %q", id)
	}
}

// One logical message is queued once: enqueued again while queued it is only re-published
// under the same dedup id (QStash folds it); once sent, not at all.
func TestEnqueueIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := testMessage("notice:password_changed:e1")
	for range 3 {
		if err := f.s.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if f.pub.count() != 3 || dedupOf(f.pub.msgs[0]) == "" || dedupOf(f.pub.msgs[0]) != dedupOf(f.pub.msgs[2]) {
		t.Fatalf("published %d times, ids %q %q", f.pub.count(), dedupOf(f.pub.msgs[0]), dedupOf(f.pub.msgs[2]))
	}
	if err := f.s.Deliver(ctx, body("u1", m.Key), f.out); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Enqueue(ctx, m); err != nil || f.pub.count() != 3 {
		t.Fatalf("a sent message was queued again: %v, %d publishes", err, f.pub.count())
	}
	if n := f.s.st.R.HLen(ctx, f.s.mailKey("u1")).Val(); n != 1 {
		t.Fatalf("%d records", n)
	}
}

// A failed publish leaves the record queued, so the caller's retry publishes it.
func TestEnqueuePublishFailure(t *testing.T) {
	f := newFixture(t)
	f.pub.err = problem.Unavailable(errors.New("qstash down"))
	if err := f.s.Enqueue(context.Background(), testMessage("k")); problem.CodeOf(err) != "unavailable" {
		t.Fatalf("err = %v, want 503 unavailable", err)
	}
	f.pub.err = nil
	if err := f.s.Enqueue(context.Background(), testMessage("k")); err != nil || f.pub.count() != 1 {
		t.Fatalf("retry: %v, %d publishes", err, f.pub.count())
	}
}

func dedupOf(m publishedMsg) string { return m.header.Get("Upstash-Deduplication-Id") }

// Body escapes every value in the HTML part exactly as html.EscapeString would, keeps the
// button to http(s), and writes both parts.
func TestBodyRender(t *testing.T) {
	evil := `<script>alert("x")</script>&'`
	c := Body{Heading: evil, Paragraphs: []string{evil}, Button: &Link{Label: evil, URL: "https://app.metriqs.test/x?a=1&b=<2>"},
		Details: [][2]string{{"IP address", evil}}, Footer: evil}.Render("Subject")
	if strings.Contains(c.HTML, "<script>") || !strings.Contains(c.HTML, html.EscapeString(evil)) || !strings.Contains(c.HTML, `href="https://app.metriqs.test/x?a=1&amp;b=&lt;2&gt;"`) {
		t.Fatalf("HTML not escaped: %s", c.HTML)
	}
	if !strings.Contains(c.Text, evil) || !strings.Contains(c.Text, "https://app.metriqs.test/x?a=1&b=<2>") || !strings.Contains(c.Text, "IP address: "+evil) {
		t.Fatalf("text part: %s", c.Text)
	}
	for _, bad := range []string{"javascript:alert(1)", "data:text/html,x", "//evil.example"} {
		c := Body{Button: &Link{Label: "Go", URL: bad}}.Render("s")
		if strings.Contains(c.HTML, "href=") || strings.Contains(c.Text, bad) {
			t.Errorf("button to %q rendered", bad)
		}
	}
	if s := escape(evil); s != html.EscapeString(evil) {
		t.Fatalf("escape = %q, html.EscapeString = %q", s, html.EscapeString(evil))
	}
}

// Registering a kind twice is a programming error caught at start-up.
func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Register("test_kind", func(context.Context, Message) (Content, error) { return Content{}, nil })
}
