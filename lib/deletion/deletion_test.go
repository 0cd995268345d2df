package deletion

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

type fakeIntegrations struct{ calls []string }

func (f *fakeIntegrations) DisconnectAll(_ context.Context, uid string, _ web.Client) error {
	f.calls = append(f.calls, uid)
	return nil
}

type fakeSchedules struct{}

func (fakeSchedules) DeleteAll(context.Context, string) error { return nil }

type fakePub struct {
	mu   sync.Mutex
	fail error
	sent []any
}

func (p *fakePub) Publish(_ context.Context, job string, body any, _ ...jobs.Option) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return "", p.fail
	}
	p.sent = append(p.sent, body)
	return "msg", nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	st       *store.Store
	accounts *account.Service
	svc      *Service
	ints     *fakeIntegrations
	pub      *fakePub
	clk      *clock
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ring, _ := config.ParseKeyRing("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	sealer, _ := seal.New(ring)
	st := storetest.New(t)
	clk := &clock{t: time.Now()}
	accounts := account.New(session.NewManager(st, ring, true, clk.now), sealer)
	f := &fixture{st: st, accounts: accounts, ints: &fakeIntegrations{}, pub: &fakePub{}, clk: clk}
	f.svc = New(st, accounts, f.ints, fakeSchedules{}, f.pub, clk.now)
	return f
}

const pw = "a long enough passphrase"

// signUp creates a user with a session and some data of their own.
func (f *fixture) signUp(t *testing.T, email string) *session.Session {
	t.Helper()
	ctx := context.Background()
	u, err := f.accounts.Signup(ctx, httptest.NewRecorder(), account.SignupInput{Email: email, Password: pw, Name: "Grace"}, web.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.accounts.Sessions().List(ctx, u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	// A report-like key of the user's, registered in the index, with no expiry.
	k := f.st.Key("report", "r-"+u.ID)
	f.st.R.HSet(ctx, k, "uid", u.ID)
	f.st.R.SAdd(ctx, f.st.IndexKey(u.ID), k)
	return list[0]
}

func (f *fixture) delete(t *testing.T, sess *session.Session) {
	t.Helper()
	if _, err := f.svc.Delete(context.Background(), httptest.NewRecorder(), sess, account.DeleteInput{Password: pw}, web.Client{}); err != nil {
		t.Fatal(err)
	}
}

// If the purge job never runs, every remaining key of the user still expires within 30 days.
func TestBackstopWhenPurgeNeverRuns(t *testing.T) {
	f := setup(t)
	f.pub.fail = errors.New("qstash is down")
	sess := f.signUp(t, "grace@example.com")
	f.delete(t, sess)
	ctx := context.Background()
	left, err := f.svc.Verify(ctx, sess.UserID, "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) == 0 {
		t.Fatal("nothing left: this test wants the purge not to have run")
	}
	for _, l := range left {
		ttl := f.st.R.TTL(ctx, l.Key).Val()
		if ttl <= 0 || ttl > Backstop {
			t.Errorf("%s has TTL %v; every remaining key must expire within 30 days", l.Key, ttl)
		}
	}
	if len(f.ints.calls) != 1 {
		t.Fatal("integrations were not disconnected in the request")
	}
}

// The purge job failing the first time, then running (twice, as QStash may redeliver).
func TestPurgeRetriedAndRepeated(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "ada@example.com")
	f.delete(t, sess)
	body := []byte(`{"user_id":"` + sess.UserID + `"}`)
	ctx := context.Background()
	// A first attempt that dies half-way: a few keys removed, the rest not.
	keys, _ := f.svc.keysOf(ctx, sess.UserID)
	f.st.R.Del(ctx, keys[0])
	token := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, 0).Val()[0]
	body = []byte(`{"user_id":"` + sess.UserID + `","tombstone":"` + token + `"}`)
	for i := 0; i < 2; i++ {
		if err := f.svc.Purge(ctx, body); err != nil {
			t.Fatalf("purge %d: %v", i, err)
		}
	}
	if left, _ := f.svc.Verify(ctx, sess.UserID, "ada@example.com"); len(left) != 0 {
		t.Fatalf("left after purge: %+v", left)
	}
	if n := f.st.R.ZCard(ctx, f.svc.tombstones()).Val(); n != 0 {
		t.Fatal("tombstone left after purge")
	}
}

func TestPurgeRefusesALiveAccount(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "live@example.com")
	err := f.svc.Purge(context.Background(), []byte(`{"user_id":"`+sess.UserID+`"}`))
	if !jobs.IsPermanent(err) {
		t.Fatalf("purging a live account: %v", err)
	}
	if _, err := f.accounts.Get(context.Background(), sess.UserID); err != nil {
		t.Fatalf("the live account was touched: %v", err)
	}
	for _, b := range []string{`{}`, `nope`, `{"user_id":"../x"}`} {
		if err := f.svc.Purge(context.Background(), []byte(b)); !jobs.IsPermanent(err) {
			t.Errorf("body %s: %v", b, err)
		}
	}
}

// The sweep purges accounts whose purge job did not happen, once they are overdue.
func TestSweepPurgesOverdue(t *testing.T) {
	f := setup(t)
	f.pub.fail = errors.New("qstash is down")
	sess := f.signUp(t, "sweep@example.com")
	f.delete(t, sess)
	ctx := context.Background()
	if n, err := f.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before the grace period: %d, %v", n, err)
	}
	f.clk.add(PurgeGrace + time.Minute)
	if n, err := f.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the grace period: %d, %v", n, err)
	}
	if left, _ := f.svc.Verify(ctx, sess.UserID, "sweep@example.com"); len(left) != 0 {
		t.Fatalf("left after sweep: %+v", left)
	}
}

func TestDeleteRefusalsChangeNothing(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "careful@example.com")
	ctx := context.Background()
	_, err := f.svc.Delete(ctx, httptest.NewRecorder(), sess, account.DeleteInput{Password: "wrong password!"}, web.Client{})
	if problem.CodeOf(err) != "invalid_password" {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = f.svc.Delete(ctx, httptest.NewRecorder(), sess, account.DeleteInput{}, web.Client{})
	if problem.CodeOf(err) != "invalid_request" {
		t.Fatalf("no password: %v", err)
	}
	if _, err := f.accounts.Get(ctx, sess.UserID); err != nil {
		t.Fatalf("account after refused deletions: %v", err)
	}
	if n := f.st.R.ZCard(ctx, f.svc.tombstones()).Val(); n != 0 || len(f.ints.calls) != 0 || len(f.pub.sent) != 0 {
		t.Fatal("a refused deletion started the deletion")
	}
}

// A sign-in racing with the deletion never leaves a live session behind.
func TestConcurrentDeleteAndLogin(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "race@example.com")
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = f.accounts.Login(ctx, httptest.NewRecorder(), account.LoginInput{Email: "race@example.com", Password: pw}, web.Client{IP: "192.0.2.9"})
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); f.delete(t, sess) }()
	wg.Wait()
	list, err := f.accounts.Sessions().List(ctx, sess.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("%d sessions survived the deletion", len(list))
	}
}
