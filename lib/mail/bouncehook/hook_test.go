package bouncehook

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

var (
	key    = []byte("test-signing-key-of-32-bytes!!!!")
	secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	now    = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
)

const bounced = `{"type":"email.bounced","created_at":"2026-12-02T11:59:00Z","data":{"email_id":"e1","to":["ada@example.com"],"bounce":{"type":"Permanent","subType":"General","message":"550 5.1.1 no such user"}}}`

// delivery is a signed delivery as Resend (Svix) sends it, made at t.
func delivery(id string, t time.Time, body string, k []byte) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set("Svix-Id", id)
	h.Set("Svix-Timestamp", ts)
	h.Set("Svix-Signature", "v1,"+Sign(k, id, ts, []byte(body)))
	return h
}

func TestVerify(t *testing.T) {
	good := delivery("msg_1", now, bounced, key)
	if id, err := Verify(good, []byte(bounced), []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("older")), secret}, now); err != nil || id != "msg_1" {
		t.Fatalf("a good delivery (second secret): %q %v", id, err)
	}
	std := http.Header{}
	for k, v := range map[string]string{"Webhook-Id": "msg_1", "Webhook-Timestamp": good.Get("Svix-Timestamp"), "Webhook-Signature": "v1,AAAA " + good.Get("Svix-Signature")} {
		std.Set(k, v)
	}
	if _, err := Verify(std, []byte(bounced), []string{secret}, now); err != nil {
		t.Fatalf("standard webhook-* headers with two signatures: %v", err)
	}
	for name, tc := range map[string]struct {
		h    http.Header
		body string
	}{
		"other key":     {delivery("msg_1", now, bounced, []byte("another key")), bounced},
		"tampered body": {good, bounced[:len(bounced)-2] + `,"x":1}}`},
		"stale":         {delivery("msg_1", now.Add(-Tolerance-time.Second), bounced, key), bounced},
		"future":        {delivery("msg_1", now.Add(Tolerance+time.Second), bounced, key), bounced},
		"no headers":    {http.Header{}, bounced},
		"v2 scheme":     {http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": good["Svix-Timestamp"], "Svix-Signature": {"v2," + good.Get("Svix-Signature")[3:]}}, bounced},
	} {
		if _, err := Verify(tc.h, []byte(tc.body), []string{secret}, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
}

// marks counts the Marker's calls.
type marks struct {
	mu    sync.Mutex
	calls []mail.BounceInfo
	to    []string
	err   error
}

func (m *marks) mark(_ context.Context, email string, b mail.BounceInfo) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	m.calls, m.to = append(m.calls, b), append(m.to, email)
	return true, nil
}

func (m *marks) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.calls) }

func newHook(t *testing.T) (*Hook, *marks) {
	m := &marks{}
	return New(storetest.New(t), []string{secret}, func() time.Time { return now }, m.mark), m
}

// A permanent bounce marks its recipient; forged ones are a 400 and mark nothing; a second
// delivery of the same id marks nothing more; soft bounces and other events are accepted and
// ignored.
func TestReceive(t *testing.T) {
	h, m := newHook(t)
	ctx := context.Background()
	forged := delivery("msg_f", now, bounced, []byte("attacker key"))
	if err := h.Receive(ctx, forged, []byte(bounced)); problem.CodeOf(err) != "invalid_signature" || m.count() != 0 {
		t.Fatalf("forged: %v, %d marks", err, m.count())
	}
	good := delivery("msg_1", now, bounced, key)
	for range 2 {
		if err := h.Receive(ctx, good, []byte(bounced)); err != nil {
			t.Fatal(err)
		}
	}
	if m.count() != 1 || m.to[0] != "ada@example.com" || !m.calls[0].At.Equal(now.Add(-time.Minute)) || m.calls[0].Reason != "Permanent bounce (General): 550 5.1.1 no such user" {
		t.Fatalf("marks %+v to %v, want one for ada", m.calls, m.to)
	}
	for i, body := range []string{
		`{"type":"email.bounced","data":{"to":["ada@example.com"],"bounce":{"type":"Transient","subType":"MailboxFull"}}}`,
		`{"type":"email.delivered","data":{"to":["ada@example.com"]}}`,
	} {
		if err := h.Receive(ctx, delivery("msg_other"+strconv.Itoa(i), now, body, key), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if m.count() != 1 {
		t.Fatalf("%d marks after a soft bounce and a delivery event", m.count())
	}
}

// A delivery that could not be applied is applied when the provider retries it: its id is
// not remembered as seen.
func TestReceiveRetriedAfterAFailure(t *testing.T) {
	h, m := newHook(t)
	ctx := context.Background()
	m.err = errors.New("redis down")
	good := delivery("msg_1", now, bounced, key)
	if err := h.Receive(ctx, good, []byte(bounced)); err == nil {
		t.Fatal("a failed mark was answered as applied")
	}
	m.err = nil
	if err := h.Receive(ctx, good, []byte(bounced)); err != nil || m.count() != 1 {
		t.Fatalf("retry: %v, %d marks", err, m.count())
	}
}

// Twenty copies of one delivery at once (the provider retrying while a replay arrives) mark
// once: the id is claimed with SET NX in Redis.
func TestReceiveTogetherOnce(t *testing.T) {
	h, m := newHook(t)
	good := delivery("msg_1", now, bounced, key)
	storetest.Together(20, func(int) {
		if err := h.Receive(context.Background(), good, []byte(bounced)); err != nil {
			t.Error(err)
		}
	})
	if m.count() != 1 {
		t.Fatalf("%d marks for one delivery", m.count())
	}
}

// Without a configured secret the webhook does not exist.
func TestReceiveUnconfigured(t *testing.T) {
	h := New(storetest.New(t), nil, func() time.Time { return now }, (&marks{}).mark)
	if err := h.Receive(context.Background(), delivery("msg_1", now, bounced, key), []byte(bounced)); problem.CodeOf(err) != "not_found" {
		t.Fatalf("unconfigured: %v", err)
	}
}
