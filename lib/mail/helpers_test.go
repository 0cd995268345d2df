package mail

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/testclock"
)

// published is a QStash that records what Enqueue publishes through the real lean publisher.
type published struct {
	mu   sync.Mutex
	msgs []publishedMsg
	err  error
	lean *jobs.LeanPublisher
}

type publishedMsg struct {
	path, body string
	header     http.Header
}

func newPublished(t *testing.T) *published {
	p := &published{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.msgs = append(p.msgs, publishedMsg{path: r.URL.Path, body: string(b), header: r.Header})
		p.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"messageId":"msg_test"}`)
	}))
	t.Cleanup(srv.Close)
	lean, err := jobs.NewLeanPublisher("https://app.metriqs.test", config.QStash{URL: srv.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	p.lean = lean
	return p
}

func (p *published) Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error) {
	p.mu.Lock()
	err := p.err
	p.mu.Unlock()
	if err != nil {
		return "", err
	}
	return p.lean.Publish(ctx, job, body, opts...)
}

func (p *published) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.msgs)
}

// transport is a Transport that records sends and answers with err.
type transport struct {
	mu   sync.Mutex
	sent []Outgoing
	err  error
	gate chan struct{} // when set, Send waits on it: holds a send open
}

func (t *transport) Send(_ context.Context, o Outgoing) (Receipt, error) {
	if t.gate != nil {
		<-t.gate
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return Receipt{}, t.err
	}
	t.sent = append(t.sent, o)
	return Receipt{Reply: "250 2.0.0 Ok: queued as TEST"}, nil
}

func (t *transport) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sent)
}

func init() {
	Register("test_kind", func(_ context.Context, m Message) (Content, error) {
		return Body{Heading: "Hello " + m.Data["name"], Paragraphs: []string{"Line <1>"}, Button: &Link{Label: "Open", URL: m.Data["url"]}}.Render("Grüße, " + m.Data["name"]), nil
	})
	Register("test_header", func(_ context.Context, m Message) (Content, error) {
		return Content{Subject: "s\r\nBcc: victim@example.com", Text: "x"}, nil
	})
}

type fixture struct {
	s   *Service
	pub *published
	tr  *transport
	clk *testclock.Clock
	out Outbox
}

func newFixture(t *testing.T) *fixture {
	st := storetest.New(t)
	f := &fixture{pub: newPublished(t), tr: &transport{}, clk: testclock.New(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))}
	f.s = New(st, f.pub, f.clk.Now)
	f.out = Outbox{Transport: f.tr, From: map[Sender]string{FromAccount: "Metriqs <account@mail.metriqs.test>", FromReports: "reports@reports.metriqs.test"}}
	return f
}

func testMessage(key string) Message {
	return Message{Key: key, UserID: "u1", To: "ada@example.com", From: FromAccount, Kind: "test_kind",
		Data: map[string]string{"name": "Ada", "url": "https://app.metriqs.test/verify?t=secret-token"}}
}

func body(userID, key string) []byte {
	return []byte(`{"user_id":"` + userID + `","key":"` + key + `"}`)
}

func (f *fixture) record(t *testing.T, userID, key string) stored {
	t.Helper()
	raw, err := f.s.st.R.HGet(context.Background(), f.s.mailKey(userID), key).Result()
	if err != nil {
		t.Fatalf("record %s: %v", key, err)
	}
	r, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
