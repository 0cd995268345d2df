package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// sameSession returns a new client (its own address) holding c's cookies: parallel requests of
// one browser, without sharing a client between goroutines.
func sameSession(t *testing.T, c *devtest.Client) *devtest.Client {
	t.Helper()
	o := devtest.NewClient(t)
	for _, ck := range c.Cookies() {
		o.SetCookie(ck)
	}
	return o
}

// statuses counts the answers by "status code" or "status code/error code".
type statuses struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *statuses) add(r *devtest.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	k := fmt.Sprint(r.StatusCode)
	if code := r.ErrorCode(); code != "" {
		k += "/" + code
	}
	s.n[k]++
}

// shared reports whether k is a key shared by all users (a live user's id is rightly in it).
func shared(k string) bool {
	k = strings.TrimPrefix(k, devtest.Store.Prefix())
	for _, p := range []string{"index:", "schedules:due", "reports:", "accounts:", "job"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// leftovers is deletion.Verify for the user.
func leftovers(t *testing.T, userID string, needles ...string) []deletion.Leftover {
	t.Helper()
	svc, err := deletion.Default()
	if err != nil {
		t.Fatal(err)
	}
	left, err := svc.Verify(context.Background(), userID, needles...)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// wantIndexInvariant fails for any key of the user that is neither in the user's index nor
// expiring within 30 days (docs/security.md, "The user's key index").
func wantIndexInvariant(t *testing.T, userID, email string) {
	t.Helper()
	for _, l := range leftovers(t, userID, email) {
		if l.Breaks() && !shared(l.Key) {
			t.Errorf("%s is outside the user's index with TTL %v", l.Key, l.TTL)
		}
	}
}

// wantGone fails unless nothing of the deleted user is left but billing records and keys
// expiring within 30 days, the user's index included.
func wantGone(t *testing.T, userID, email string) {
	t.Helper()
	// The purge holds off while the deletion notice is unsent (lib/deletion awaitMail) and is
	// retried: give its retries a while before judging what is left. Until the index is gone
	// the purge has not finished: the backstop already gave every key an expiry, so no
	// leftover "breaks" yet, and awaitQStash does not wait for a retry due 10 ms later.
	var left []string
	var index int64
	for range 100 {
		left = left[:0]
		for _, l := range leftovers(t, userID, email) {
			if l.Breaks() {
				left = append(left, fmt.Sprintf("%s (TTL %v)", l.Key, l.TTL))
			}
		}
		index = devtest.Store.R.Exists(context.Background(), devtest.Store.IndexKey(userID)).Val()
		if len(left) == 0 && index == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, l := range left {
		t.Errorf("left after deletion and purge without an expiry ≤ 30 days: %s", l)
	}
	if index != 0 {
		t.Error("the user's index survived the purge")
	}
}

// 20 identical schedules at once: one stored, the others 409 duplicate_schedule.
func TestParallelIdenticalSchedules(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	var got statuses
	storetest.Together(20, func(int) {
		got.add(sameSession(t, c).Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9}))
	})
	if got.n["201"] != 1 || got.n["409/duplicate_schedule"] != 19 {
		t.Fatalf("answers %v; want one 201 and 19 409 duplicate_schedule", got.n)
	}
	ctx := context.Background()
	if n := devtest.Store.R.HLen(ctx, devtest.Store.Key("user", u["id"].(string), "schedules")).Val(); n != 1 {
		t.Fatalf("%d schedules stored", n)
	}
	// Twenty different ones: the free plan's limit holds.
	limit := plan.Default().Limits.Schedules
	got = statuses{}
	storetest.Together(20, func(i int) {
		got.add(sameSession(t, c).Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": i + 1, "hour": 9}))
	})
	if got.n["201"] != limit-1 || got.n["402/plan_limit"] != 20-(limit-1) {
		t.Fatalf("answers %v; want %d 201 and %d 402 plan_limit", got.n, limit-1, 20-(limit-1))
	}
	if n := devtest.Store.R.HLen(ctx, devtest.Store.Key("user", u["id"].(string), "schedules")).Val(); n != int64(limit) {
		t.Fatalf("%d schedules stored, want %d", n, limit)
	}
}

// Refused requests do not use up the report quota, and parallel requests cannot exceed it:
// the counter in Redis equals the reports stored.
func TestReportQuotaCountsOnlyAccepted(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	userID := u["id"].(string)
	connectDemo(t, c)
	for range report.RequestLimit.Max {
		devtest.Want(t, c.Do("POST", "/api/reports", map[string]any{"period": map[string]string{"start": "2026-10-31", "end": "2026-10-01"}}), 422, "invalid_period")
	}
	requestReport(t, c, "last_7_days")
	ctx := context.Background()
	counter := ratelimit.New(devtest.Store).Key(report.RequestLimit, userID)
	if n, _ := devtest.Store.R.Get(ctx, counter).Int64(); n != 1 {
		t.Fatalf("quota used after 30 refused and 1 accepted: %d", n)
	}
	var got statuses
	const burst = 40
	storetest.Together(burst, func(int) {
		got.add(sameSession(t, c).Do("POST", "/api/reports", map[string]any{"period": "last_7_days"}))
	})
	accepted := int(report.RequestLimit.Max) - 1
	if got.n["202"] != accepted || got.n["429/rate_limited"] != burst-accepted {
		t.Fatalf("answers %v; want %d 202 and %d 429", got.n, accepted, burst-accepted)
	}
	n, _ := devtest.Store.R.Get(ctx, counter).Int64()
	stored := devtest.Store.R.ZCard(ctx, devtest.Store.Key("user", userID, "reports")).Val()
	if n != report.RequestLimit.Max || stored != report.RequestLimit.Max {
		t.Fatalf("quota counter %d, reports stored %d; want both %d", n, stored, report.RequestLimit.Max)
	}
	awaitQStash(t)
}

// 20 deletions of one account at once, with the same session and password: one 202, the
// others answered as after a deletion (401) or by the password-attempt limit (429); one
// purge, and nothing left without an expiry ≤ 30 days.
func TestParallelAccountDeletions(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	userID, email := u["id"].(string), u["email"].(string)
	connectDemo(t, c)
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": 1, "hour": 8}), 201, "")
	awaitReport(t, c, requestReport(t, c, "last_7_days"))
	var got statuses
	storetest.Together(20, func(int) {
		got.add(sameSession(t, c).Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}))
	})
	if got.n["202"] != 1 || got.n["202"]+got.n["401/unauthenticated"]+got.n["429/rate_limited"] != 20 {
		t.Fatalf("answers %v; want one 202, the others 401 unauthenticated or 429", got.n)
	}
	awaitQStash(t)
	wantGone(t, userID, email)
	tombs := 0
	for _, k := range devtest.Store.R.Keys(context.Background(), devtest.Store.Key("tomb", "*")).Val() {
		if devtest.Store.R.Get(context.Background(), k).Val() == userID {
			tombs++
		}
	}
	if tombs != 0 {
		t.Fatalf("%d tombstones of the user left after the purge", tombs)
	}
}

// A randomized mix of parallel requests of one user — reports requested and deleted (the
// last one too), schedules made, edited (recipients, pause) and removed, connections started and consent pages opened,
// new sign-ins — keeps every key of the user in the index or expiring within 30 days; then
// account deletion and the purge leave nothing without such an expiry.
func TestKeyIndexUnderRandomizedLoadThenDeletion(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	userID, email := u["id"].(string), u["email"].(string)
	verifyAddress(t, email) // the edits add recipients
	connectDemo(t, c)
	lastReportRaces(t, c, userID, email)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var mu sync.Mutex
	var reports []string
	storetest.Together(6, func(w int) {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wc := sameSession(t, c)
		for range 10 {
			switch rng.IntN(7) {
			case 0:
				r := wc.Do("POST", "/api/reports", map[string]any{"period": "last_7_days"})
				if r.StatusCode == http.StatusAccepted {
					mu.Lock()
					reports = append(reports, r.Map()["id"].(string))
					mu.Unlock()
				}
			case 1: // an edit adding a recipient (the allowance's key) and pausing or resuming
				var list struct{ Schedules []struct{ ID string } }
				wc.Do("GET", "/api/schedules", nil).JSON(&list)
				if len(list.Schedules) > 0 {
					to := []string{email, fmt.Sprintf("client%d@example.com", rng.IntN(5))}
					wc.Do("PATCH", "/api/schedules?id="+list.Schedules[rng.IntN(len(list.Schedules))].ID, map[string]any{"recipients": to, "paused": rng.IntN(2) == 0})
				}
			case 2:
				mu.Lock()
				var id string
				if len(reports) > 0 {
					i := rng.IntN(len(reports))
					id, reports = reports[i], append(reports[:i], reports[i+1:]...)
				}
				mu.Unlock()
				if id != "" {
					wc.Do("DELETE", "/api/reports/"+id, nil)
				}
			case 3:
				wc.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": rng.IntN(7), "hour": rng.IntN(24)})
			case 4:
				var list struct{ Schedules []struct{ ID string } }
				wc.Do("GET", "/api/schedules", nil).JSON(&list)
				if len(list.Schedules) > 0 {
					wc.Do("DELETE", "/api/schedules?id="+list.Schedules[rng.IntN(len(list.Schedules))].ID, nil)
				}
			case 5:
				r := wc.Do("POST", "/api/integrations/connect", map[string]string{"provider": "demo"})
				if r.StatusCode == http.StatusOK {
					wc.Do("GET", r.Map()["authorize_url"].(string), nil)
				}
			case 6:
				devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword})
			}
		}
	})
	awaitQStash(t)
	wantIndexInvariant(t, userID, email)
	devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), 202, "")
	awaitQStash(t)
	wantGone(t, userID, email)
}

// lastReportRaces deletes the user's only report while another is requested, released
// together, 10 times, checking the index invariant after each (the list used to escape the
// index in 7 of 10 trials).
func lastReportRaces(t *testing.T, c *devtest.Client, userID, email string) {
	t.Helper()
	last := requestReport(t, c, "last_7_days")
	for range 10 {
		var next string
		a, b := sameSession(t, c), sameSession(t, c)
		storetest.Together(2, func(i int) {
			if i == 0 {
				devtest.Want(t, a.Do("DELETE", "/api/reports/"+last, nil), 204, "")
			} else {
				next = requestReport(t, b, "last_7_days")
			}
		})
		last = next
		wantIndexInvariant(t, userID, email)
	}
}

// Opening a consent page 50 times leaves the user's index as it was: short-lived keys stay
// out of it (they used to pile up, spent or expired).
func TestIndexDoesNotGrowWithShortLivedKeys(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	userID := u["id"].(string)
	connectDemo(t, c)
	ctx := context.Background()
	before := devtest.Store.R.SCard(ctx, devtest.Store.IndexKey(userID)).Val()
	authURL, _ := startConnect(t, c)
	for range 50 {
		devtest.Want(t, c.Do("GET", authURL, nil), 200, "")
	}
	for range 5 {
		startConnect(t, c)
		login(t, u["email"].(string), goodPassword)
	}
	if after := devtest.Store.R.SCard(ctx, devtest.Store.IndexKey(userID)).Val(); after != before {
		t.Fatalf("the index went from %d to %d members", before, after)
	}
	for _, k := range devtest.Store.R.SMembers(ctx, devtest.Store.IndexKey(userID)).Val() {
		if ttl := devtest.Store.R.TTL(ctx, k).Val(); ttl > 0 && ttl <= store.MaxUnindexedTTL && !strings.Contains(k, ":integ:") && !strings.Contains(k, ":sandbox:grant:") {
			t.Errorf("short-lived %s is in the index", k)
		}
	}
	wantIndexInvariant(t, userID, u["email"].(string))
}
