package deletion

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

// fakeIntegrations stands in for lib/integration: a user's integration is one key holding a
// "token", owned by the user (signUp stores it). DisconnectAll deletes it — as the real one does
// once the provider has revoked the grant or the retry is queued — unless failures are
// planned for that user: then it fails and keeps it, like a revocation that cannot be done
// or queued.
type fakeIntegrations struct {
	st      *store.Store
	mu      sync.Mutex
	calls   []string
	clients []web.Client
	fail    map[string]int // failures still to come, by user id
}

func (f *fakeIntegrations) key(uid string) string { return f.st.Key("integ", uid, "demo") }

func (f *fakeIntegrations) DisconnectAll(ctx context.Context, uid string, c web.Client) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, uid)
	f.clients = append(f.clients, c)
	if f.fail[uid] > 0 {
		f.fail[uid]--
		return errors.New("the provider and QStash are both down")
	}
	return f.st.R.Del(ctx, f.key(uid)).Err()
}

func (f *fakeIntegrations) failNext(uid string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[uid] = n
}

func (f *fakeIntegrations) callsFor(uid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(f.calls), func(c string) bool { return c != uid }))
}

// connected reports whether the user's integration (and so its token) is still stored.
func (f *fakeIntegrations) connected(t *testing.T, uid string) bool {
	t.Helper()
	n, err := f.st.R.Exists(context.Background(), f.key(uid)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
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
	accounts := account.New(session.NewManager(st, ring, true, clk.now), sealer, ring)
	f := &fixture{st: st, accounts: accounts, ints: &fakeIntegrations{st: st, fail: map[string]int{}}, pub: &fakePub{}, clk: clk}
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
	// An integration holding a token, registered in the index, with no expiry.
	f.st.R.HSet(ctx, f.ints.key(u.ID), "access_token", "tok-"+u.ID)
	f.st.R.SAdd(ctx, f.st.IndexKey(u.ID), f.ints.key(u.ID))
	// The per-user rate-limit counters of other packages: requests for reports, connections.
	limits := ratelimit.New(f.st)
	for _, lim := range []ratelimit.Limit{report.RequestLimit, integration.ConnectLimit} {
		if err := limits.Hit(ctx, lim, u.ID); err != nil {
			t.Fatal(err)
		}
	}
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
	if len(f.ints.calls) != 0 || !f.ints.connected(t, sess.UserID) {
		t.Fatal("the live account's integrations were disconnected")
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

// Counter keys hold only a hash of their subject, so neither the user's index nor Verify finds
// them: the purge must know every per-user limit, and this test checks each counter by name.
func TestPurgeRemovesEveryRateLimitCounter(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "limits@example.com") // reports-user and connect-user counted there
	ctx := context.Background()
	limits := ratelimit.New(f.st)
	// The account's own counters: a failed sign-in, and the deletion's password check.
	_, _ = f.accounts.Login(ctx, httptest.NewRecorder(), account.LoginInput{Email: "limits@example.com", Password: "not the passphrase"}, web.Client{IP: "192.0.2.7"})
	f.delete(t, sess)
	counters := []string{f.accounts.UserLimitKeys(sess.UserID)[0], f.accounts.LoginLimitKey("limits@example.com"),
		limits.Key(report.RequestLimit, sess.UserID), limits.Key(integration.ConnectLimit, sess.UserID)}
	for _, k := range counters {
		if f.st.R.Exists(ctx, k).Val() != 1 {
			t.Fatalf("counter %s does not exist before the purge: the test sets it up wrong", k)
		}
	}
	token := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, 0).Val()[0]
	if err := f.svc.Purge(ctx, []byte(`{"user_id":"`+sess.UserID+`","tombstone":"`+token+`"}`)); err != nil {
		t.Fatal(err)
	}
	for _, k := range counters {
		if f.st.R.Exists(ctx, k).Val() != 0 {
			t.Errorf("counter %s survived the purge", k)
		}
	}
	if left, _ := f.svc.Verify(ctx, sess.UserID, "limits@example.com"); len(left) != 0 {
		t.Fatalf("left after purge: %+v", left)
	}
}

// A revocation that fails at deletion is retried by the purge job, which fails — so that
// QStash retries it — and keeps the integration, with its tokens, until the revocation
// succeeds. Meanwhile the backstop still bounds the integration's life to 30 days.
func TestPurgeRetriesAFailedRevocation(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "revoke@example.com")
	uid := sess.UserID
	f.ints.failNext(uid, 2) // at deletion, and at the first purge
	f.delete(t, sess)
	ctx := context.Background()
	if !f.ints.connected(t, uid) {
		t.Fatal("the failed revocation at deletion should have left the integration")
	}
	token := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, 0).Val()[0]
	body := []byte(`{"user_id":"` + uid + `","tombstone":"` + token + `"}`)

	err := f.svc.Purge(ctx, body)
	if err == nil || jobs.IsPermanent(err) {
		t.Fatalf("purge while revocation fails = %v; want a retryable error", err)
	}
	if !f.ints.connected(t, uid) {
		t.Fatal("the purge deleted the integration, and the tokens needed to revoke, while revocation failed")
	}
	if ttl := f.st.R.TTL(ctx, f.ints.key(uid)).Val(); ttl <= 0 || ttl > Backstop {
		t.Fatalf("integration TTL = %v; the backstop must still hold", ttl)
	}
	if f.st.R.ZScore(ctx, f.svc.tombstones(), token).Err() != nil {
		t.Fatal("the tombstone went with a failed purge: the sweep would not retry")
	}

	if err := f.svc.Purge(ctx, body); err != nil {
		t.Fatalf("purge once revocation works: %v", err)
	}
	if f.ints.connected(t, uid) {
		t.Fatal("integration left after the purge")
	}
	if got := f.ints.callsFor(uid); got != 3 {
		t.Fatalf("DisconnectAll called %d times, want 3", got)
	}
	if c := f.ints.clients[len(f.ints.clients)-1]; c != web.System {
		t.Fatalf("the purge disconnected as %+v; want web.System", c)
	}
	if left, _ := f.svc.Verify(ctx, uid, "revoke@example.com", "tok-"+uid); len(left) != 0 {
		t.Fatalf("left after purge: %+v", left)
	}
	if n := f.st.R.ZCard(ctx, f.svc.tombstones()).Val(); n != 0 {
		t.Fatal("tombstone left after purge")
	}
}

// The sweep retries a failed revocation day after day; an account whose revocation keeps
// failing does not hold up the others.
func TestSweepRetriesAFailedRevocation(t *testing.T) {
	f := setup(t)
	f.pub.fail = errors.New("qstash is down")
	stuck := f.signUp(t, "stuck@example.com")
	fine := f.signUp(t, "fine@example.com")
	f.ints.failNext(stuck.UserID, 2) // at deletion, and at the first sweep
	f.delete(t, stuck)
	f.clk.add(time.Second) // the stuck account is first in line
	f.delete(t, fine)
	ctx := context.Background()
	f.clk.add(PurgeGrace + time.Minute)

	n, err := f.svc.Sweep(ctx)
	if err == nil || n != 1 {
		t.Fatalf("first sweep: %d, %v; want the fine account purged and an error for the stuck one", n, err)
	}
	if !f.ints.connected(t, stuck.UserID) {
		t.Fatal("the sweep deleted the integration while revocation failed")
	}
	if left, _ := f.svc.Verify(ctx, fine.UserID, "fine@example.com"); len(left) != 0 {
		t.Fatalf("the fine account was held up: %+v", left)
	}

	f.clk.add(24 * time.Hour)
	if n, err := f.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("next day's sweep: %d, %v", n, err)
	}
	if left, _ := f.svc.Verify(ctx, stuck.UserID, "stuck@example.com", "tok-"+stuck.UserID); len(left) != 0 {
		t.Fatalf("left after sweep: %+v", left)
	}
	if n := f.st.R.ZCard(ctx, f.svc.tombstones()).Val(); n != 0 {
		t.Fatal("tombstones left after the sweeps")
	}
}
