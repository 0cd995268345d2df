package share

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

type conns struct{}

func (conns) Connected(context.Context, string) ([]string, error) { return []string{"sandbox"}, nil }
func (conns) Client(context.Context, string, string) (*http.Client, metrics.Selection, error) {
	return http.DefaultClient, metrics.Selection{}, nil
}
func (conns) RefusedAccess(context.Context, string, string) error { return nil }

type pub struct{}

func (pub) Publish(context.Context, string, any, ...jobs.Option) (string, error) { return "m", nil }
func (pub) PublishBatch(_ context.Context, m []jobs.Message) ([]string, error) {
	return make([]string, len(m)), nil
}

// clock is a settable now.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }
func newClock(t time.Time) *clock    { c := &clock{}; c.t.Store(t.UnixNano()); return c }
func str(s string) *string           { return &s }
func codeOf(err error) string        { return problem.CodeOf(err) }
func statusOf(err error) int         { p, _ := problem.As(err); return p.Status }

type fixture struct {
	st      *store.Store
	reports *report.Service
	svc     *Service
	clock   *clock
	userID  string
	rep     *report.Report
}

var viewer = web.Client{IP: "198.51.100.7", UserAgent: "test"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.New(t)
	c := newClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	reports := report.New(st, conns{}, nil, pub{}, c.now)
	rep, err := reports.Create(context.Background(), report.Request{UserID: "u1", Spec: period.Spec{Preset: "last_7_days"}, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(st, reports, "https://app.test", c.now)
	svc.SetPlans(fixedPlan(plan.Pro)) // room for MaxPerReport; the plan's tests set Free
	return &fixture{st: st, reports: reports, svc: svc, clock: c, userID: "u1", rep: rep}
}

func (f *fixture) create(t *testing.T, opts Options) (Created, string) {
	t.Helper()
	c, err := f.svc.Create(context.Background(), f.userID, f.rep.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	token, ok := strings.CutPrefix(c.URL, "https://app.test"+Path+"#")
	if !ok {
		t.Fatalf("url %q does not hold the token in the viewer page's fragment", c.URL)
	}
	return c, token
}

func (f *fixture) views(t *testing.T, id string) int64 {
	t.Helper()
	links, err := f.svc.List(context.Background(), f.userID, f.rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.ID == id {
			return l.Views
		}
	}
	t.Fatalf("link %s not listed", id)
	return 0
}

func TestOpenShowsTheReportAndCountsTheView(t *testing.T) {
	f := newFixture(t)
	c, token := f.create(t, Options{})
	rep, err := f.svc.Open(context.Background(), token, nil, viewer)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ID != f.rep.ID {
		t.Fatalf("opened report %s, want %s", rep.ID, f.rep.ID)
	}
	if n := f.views(t, c.ID); n != 1 {
		t.Fatalf("views = %d, want 1", n)
	}
	if _, err := f.svc.Open(context.Background(), token+"x", nil, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a bad token: %v, want not found", err)
	}
}

// Only the token's hash is stored: no key name or value holds the token.
func TestTokenIsNotStored(t *testing.T) {
	f := newFixture(t)
	_, token := f.create(t, Options{Password: "correct horse"})
	ctx := context.Background()
	keys, err := f.st.R.Keys(ctx, f.st.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		dump, _ := f.st.R.Dump(ctx, k).Result()
		if strings.Contains(k, token) || strings.Contains(dump, token) || strings.Contains(dump, "correct horse") {
			t.Fatalf("key %s holds the token or the password", k)
		}
	}
}

func TestPassword(t *testing.T) {
	f := newFixture(t)
	c, token := f.create(t, Options{Password: "correct horse"})
	if !c.HasPassword {
		t.Fatal("has_password false")
	}
	ctx := context.Background()
	if _, err := f.svc.Open(ctx, token, nil, viewer); codeOf(err) != "password_required" || statusOf(err) != 401 {
		t.Fatalf("no password: %v", err)
	}
	if _, err := f.svc.Open(ctx, token, str("wrong horse"), viewer); codeOf(err) != "invalid_password" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := f.svc.Open(ctx, token, str("correct horse"), viewer); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if n := f.views(t, c.ID); n != 1 {
		t.Fatalf("views = %d, want 1 (refused attempts are not views)", n)
	}
	if _, err := f.svc.Create(ctx, f.userID, f.rep.ID, Options{Password: "short"}); codeOf(err) != "invalid_request" && statusOf(err) != 400 {
		t.Fatalf("short password: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	at := f.clock.now().Add(time.Hour)
	c, token := f.create(t, Options{ExpiresAt: &at})
	ctx := context.Background()
	if _, err := f.svc.Open(ctx, token, nil, viewer); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Hour)
	if _, err := f.svc.Open(ctx, token, nil, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired: %v, want not found", err)
	}
	links, _ := f.svc.List(ctx, f.userID, f.rep.ID)
	if len(links) != 1 || links[0].ID != c.ID || !links[0].Expired {
		t.Fatalf("list = %+v, want the link marked expired", links)
	}
	past := f.clock.now().Add(-time.Minute)
	if _, err := f.svc.Create(ctx, f.userID, f.rep.ID, Options{ExpiresAt: &past}); statusOf(err) != 400 {
		t.Fatalf("expiry in the past: %v, want 400", err)
	}
}

// Deleting the report deletes its links, their pointers and their place in the plan's count
// in the same transaction.
func TestDeletingTheReportKillsItsLinks(t *testing.T) {
	f := newFixture(t)
	_, token := f.create(t, Options{})
	f.create(t, Options{Automatic: true})
	ctx := context.Background()
	if _, err := f.svc.Open(ctx, token, nil, viewer); err != nil {
		t.Fatal(err)
	}
	if err := f.reports.Delete(ctx, f.userID, f.rep.ID); err != nil {
		t.Fatal(err)
	}
	f.noLinksLeft(t)
	if _, err := f.svc.Open(ctx, token, nil, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the report's deletion: %v, want not found", err)
	}
	links, views := report.ShareKeys(f.st, f.rep.ID)
	if n := f.st.R.Exists(ctx, links, views).Val(); n != 0 {
		t.Fatalf("%d of the report's share keys left", n)
	}
	if keys := f.st.R.Keys(ctx, f.st.Prefix()+"share:*").Val(); len(keys) != 0 {
		t.Fatalf("pointers left after a view of the dead link: %v", keys)
	}
}

// Every key a link writes is in the owner's index, so the account's purge finds it.
func TestEveryKeyIsInTheIndex(t *testing.T) {
	f := newFixture(t)
	_, token := f.create(t, Options{})
	ctx := context.Background()
	if _, err := f.svc.Open(ctx, token, nil, viewer); err != nil {
		t.Fatal(err)
	}
	index := f.st.IndexKey(f.userID)
	for _, k := range f.st.R.Keys(ctx, f.st.Prefix()+"*").Val() {
		if strings.Contains(k, "share") && !f.st.R.SIsMember(ctx, index, k).Val() {
			t.Fatalf("%s is not in the user's index", k)
		}
	}
}

func TestRevoke(t *testing.T) {
	f := newFixture(t)
	c, token := f.create(t, Options{})
	ctx := context.Background()
	if err := f.svc.Revoke(ctx, f.userID, "not-an-id", viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a malformed id: %v, want not found", err)
	}
	if err := f.svc.Revoke(ctx, "someone-else", c.ID, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's revoke: %v, want not found", err)
	}
	if err := f.svc.Revoke(ctx, f.userID, c.ID, viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Open(ctx, token, nil, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked: %v, want not found", err)
	}
	if err := f.svc.Revoke(ctx, f.userID, c.ID, viewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked twice: %v, want not found", err)
	}
	if got := eventCount(t, f, audit.ShareCreated); got != 1 {
		t.Fatalf("%d creation events, want 1", got)
	}
	if got := eventCount(t, f, audit.ShareRevoked); got != 1 {
		t.Fatalf("%d revocation events, want 1", got)
	}
}

func eventCount(t *testing.T, f *fixture, typ string) int {
	t.Helper()
	events, err := audit.New(f.st, f.clock.now).List(context.Background(), f.userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestOnlyTheOwnerCreatesAndLists(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, "someone-else", f.rep.ID, Options{}); !errors.Is(err, report.ErrNotFound) {
		t.Fatalf("create for another's report: %v", err)
	}
	if _, err := f.svc.List(ctx, "someone-else", f.rep.ID); !errors.Is(err, report.ErrNotFound) {
		t.Fatalf("list another's report: %v", err)
	}
}

func TestTwentyViewsAtOnceCountTwenty(t *testing.T) {
	f := newFixture(t)
	c, token := f.create(t, Options{})
	var failed atomic.Int64
	storetest.Together(20, func(int) {
		if _, err := f.svc.Open(context.Background(), token, nil, viewer); err != nil {
			failed.Add(1)
		}
	})
	if n := f.views(t, c.ID); n != 20 || failed.Load() != 0 {
		t.Fatalf("views = %d with %d failures, want 20 and 0", n, failed.Load())
	}
}

func TestTwentyWrongPasswordsAtOnceStayWithinTheLimit(t *testing.T) {
	if raceBuild {
		saved := LinkLimit
		LinkLimit.Max = 3
		t.Cleanup(func() { LinkLimit = saved })
	}
	f := newFixture(t)
	c, token := f.create(t, Options{Password: "correct horse"})
	var wrong, limited atomic.Int64
	storetest.Together(20, func(int) {
		_, err := f.svc.Open(context.Background(), token, str("wrong horse"), viewer)
		switch codeOf(err) {
		case "invalid_password":
			wrong.Add(1)
		case "rate_limited":
			limited.Add(1)
		default:
			t.Errorf("a wrong password: %v", err)
		}
	})
	if wrong.Load() != LinkLimit.Max || limited.Load() != 20-LinkLimit.Max {
		t.Fatalf("%d judged, %d limited; want %d judged", wrong.Load(), limited.Load(), LinkLimit.Max)
	}
	key := f.svc.limits.Key(LinkLimit, c.ID)
	if n, _ := f.st.R.Get(context.Background(), key).Int64(); n != 20 {
		t.Fatalf("link counter = %d, want 20", n)
	}
	if _, err := f.svc.Open(context.Background(), token, str("correct horse"), viewer); codeOf(err) != "rate_limited" {
		t.Fatalf("the right password within the locked window: %v, want rate_limited", err)
	}
}

// A revocation racing views: views before it count, views after it are 404, and nothing of
// the link is left (no counter recreated by a late view).
func TestRevokeRacingViews(t *testing.T) {
	f := newFixture(t)
	c, token := f.create(t, Options{})
	var mu sync.Mutex
	codes := map[string]int{}
	storetest.Together(21, func(i int) {
		ctx := context.Background()
		if i == 0 {
			if err := f.svc.Revoke(ctx, f.userID, c.ID, viewer); err != nil {
				t.Errorf("revoke: %v", err)
			}
			return
		}
		_, err := f.svc.Open(ctx, token, nil, viewer)
		mu.Lock()
		codes[codeOf(err)]++
		mu.Unlock()
	})
	if codes[""]+codes["not_found"] != 20 {
		t.Fatalf("views answered %v", codes)
	}
	ctx := context.Background()
	links, views := report.ShareKeys(f.st, f.rep.ID)
	if f.st.R.HExists(ctx, links, c.ID).Val() || f.st.R.HExists(ctx, views, c.ID).Val() || f.st.R.Exists(ctx, f.svc.pointerKey(c.ID)).Val() != 0 {
		t.Fatal("something of the revoked link is left")
	}
}

func TestParallelCreatesStopAtTheLimit(t *testing.T) {
	f := newFixture(t)
	var ok, full atomic.Int64
	storetest.Together(MaxPerReport+5, func(int) {
		_, err := f.svc.Create(context.Background(), f.userID, f.rep.ID, Options{})
		switch codeOf(err) {
		case "":
			ok.Add(1)
		case "share_limit":
			full.Add(1)
		default:
			t.Errorf("create: %v", err)
		}
	})
	links, _ := report.ShareKeys(f.st, f.rep.ID)
	if n := f.st.R.HLen(context.Background(), links).Val(); ok.Load() != MaxPerReport || n != MaxPerReport {
		t.Fatalf("%d created, %d stored; want %d", ok.Load(), n, MaxPerReport)
	}
}

// A link created while its report is deleted never outlives it, nor does its pointer: ten
// reports, each deleted while ten links of it are created.
func TestCreateRacingTheReportsDeletion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for range 10 {
		rep, err := f.reports.Create(ctx, report.Request{UserID: f.userID, Spec: period.Spec{Preset: "last_7_days"}, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		f.rep = rep
		storetest.Together(11, func(i int) {
			if i == 0 {
				_ = f.reports.Delete(ctx, f.userID, f.rep.ID)
				return
			}
			_, _ = f.svc.Create(ctx, f.userID, f.rep.ID, Options{})
		})
		f.noLinksLeft(t)
	}
}

// noLinksLeft fails if anything of a link of f's report is stored: records, views, pointers,
// members of the plan's count, entries in the owner's index.
func (f *fixture) noLinksLeft(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	links, views := report.ShareKeys(f.st, f.rep.ID)
	if n := f.st.R.Exists(ctx, links, views).Val(); n != 0 {
		t.Fatal("links outlived their report")
	}
	if keys := f.st.R.Keys(ctx, f.st.Prefix()+"share:*").Val(); len(keys) != 0 {
		t.Fatalf("pointers outlived their report: %v", keys)
	}
	if n := f.st.R.SCard(ctx, MadeKey(f.st, f.userID)).Val(); n != 0 {
		t.Fatalf("%d links of the deleted report still in the plan's set", n)
	}
	for _, k := range f.st.R.SMembers(ctx, f.st.IndexKey(f.userID)).Val() {
		if strings.HasPrefix(k, f.st.Prefix()+"share:") {
			t.Fatalf("%s still in the owner's index", k)
		}
	}
}
