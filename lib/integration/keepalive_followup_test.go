package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// keepAlivePage is the SSCAN count of these tests; with the job's five pages a message
// covers about ten index entries, far fewer than the integrations connected.
const keepAlivePage = 2

// keepAliveUsers is more than the 128 entries a real Redis keeps a set as a listpack, which
// SSCAN returns whole in one call whatever its COUNT: only a hashtable is paged.
const keepAliveUsers = 140

// localQStash is lib/qstashdev, not started (the tests deliver its messages by hand, as
// often and as concurrently as they like), behind a recorder of the deduplication id each
// publish carries.
type localQStash struct {
	srv *qstashdev.Server
	mu  sync.Mutex
	ids []string
}

func (q *localQStash) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v2/publish/") {
		q.mu.Lock()
		q.ids = append(q.ids, r.Header.Get("Upstash-Deduplication-Id"))
		q.mu.Unlock()
	}
	q.srv.ServeHTTP(w, r)
}

// publishes are the deduplication ids of every publish request, duplicates included.
func (q *localQStash) publishes() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.ids...)
}

// followUps are the keep-alive messages QStash accepted (a deduplicated publish adds none),
// oldest first.
func (q *localQStash) followUps(t *testing.T) []qstashdev.Message {
	t.Helper()
	var out []qstashdev.Message
	for _, m := range q.srv.Messages() {
		if m.URL != appURL+jobs.Path(integration.KeepAliveJobName) {
			t.Fatalf("unexpected message to %s", m.URL)
		}
		out = append(out, m)
	}
	return out
}

func newLocalQStash(t *testing.T) (*localQStash, *jobs.Publisher) {
	t.Helper()
	t.Setenv("QSTASH_URL", "") // qstash-go prefers it to the URL it is given
	srv, err := qstashdev.New(qstashdev.Options{Token: "qstash-token", CurrentSigningKey: "sig-current",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	q := &localQStash{srv: srv}
	hs := httptest.NewServer(q)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	pub, err := jobs.NewPublisher(appURL, config.QStash{URL: hs.URL, Token: "qstash-token"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q, pub
}

// keepAliveSetup connects GitHub (rotating refresh tokens: a second renewal would spend a
// dead one) for keepAliveUsers users, lets a month and a day pass, and returns a Service
// whose keep-alive reads keepAlivePage entries per SSCAN and publishes to a local QStash.
func keepAliveSetup(t *testing.T) (*env, *integration.Service, *localQStash) {
	t.Helper()
	e := setup(t)
	for i := range keepAliveUsers {
		e.user = fmt.Sprintf("user%022d", i)
		e.connect(t, provider.GitHub)
	}
	q, pub := newLocalQStash(t)
	sealer, err := seal.New(e.ring)
	if err != nil {
		t.Fatal(err)
	}
	svc := integration.New(integration.Options{Store: e.st, Sealer: sealer, Providers: e.reg, Publisher: pub,
		AppURL: appURL, Now: e.clock.Now, LockWait: 5 * time.Second, Plans: e, KeepAlivePage: keepAlivePage})
	if got := refreshes(e, provider.GitHub); got != 0 {
		t.Fatalf("%d refreshes before the job", got)
	}
	e.clock.Add(integration.KeepAliveAfter + 24*time.Hour)
	return e, svc, q
}

// scanPages reads the index the way one keep-alive message does (five SSCANs of
// keepAlivePage from cursor) and returns the distinct members seen and the cursor after.
func scanPages(t *testing.T, e *env, cursor uint64) (map[string]bool, uint64) {
	t.Helper()
	seen := map[string]bool{}
	for range 5 {
		members, next, err := e.st.R.SScan(context.Background(), e.st.Key("index", "integrations"), cursor, "", keepAlivePage).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			seen[m] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return seen, cursor
}

// renewedOnce checks that every refresh token GitHub saw was presented exactly once and
// returns how many there were: each is one renewal of one integration (GitHub rotates).
func renewedOnce(t *testing.T, e *env) int {
	t.Helper()
	uses := e.fakes[provider.GitHub].RefreshUses()
	for rt, n := range uses {
		if n != 1 {
			t.Errorf("refresh token %s presented %d times", rt, n)
		}
	}
	return len(uses)
}

// cursorOf reads a keep-alive message's cursor.
func cursorOf(t *testing.T, m qstashdev.Message) uint64 {
	t.Helper()
	var b struct {
		Cursor uint64 `json:"cursor"`
	}
	if err := json.Unmarshal(m.Body, &b); err != nil || b.Cursor == 0 {
		t.Fatalf("keep-alive follow-up body %q: cursor %d, %v", m.Body, b.Cursor, err)
	}
	return b.Cursor
}

// dedupID is the id a follow-up at cursor must carry on the clock's day.
func dedupID(e *env, cursor uint64) string {
	return integration.KeepAliveJobName + "-" + e.clock.Now().UTC().Format("2006-01-02") + "-" + strconv.FormatUint(cursor, 10)
}

// The schedule's message renews the first five pages of the index and queues the rest of
// the pass in exactly one follow-up, at the cursor it stopped at, deduplicated per day and
// cursor: its second delivery publishes the same id and QStash keeps one message.
func TestKeepAliveQueuesTheRestOfThePass(t *testing.T) {
	e, svc, q := keepAliveSetup(t)
	ctx := context.Background()
	firstPages, cursor := scanPages(t, e, 0)
	if cursor == 0 {
		t.Fatalf("the index of %d fits in five pages of %d: nothing to follow up", keepAliveUsers, keepAlivePage)
	}
	if err := svc.KeepAliveJob(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := renewedOnce(t, e); got != len(firstPages) {
		t.Errorf("the first message renewed %d integrations, want the %d of its five pages", got, len(firstPages))
	}
	for m := range firstPages {
		userID, _, _ := strings.Cut(m, ":")
		e.user = userID
		if rec := e.record(t, provider.GitHub); rec["issued_at"] != e.clock.Now().UTC().Format(time.RFC3339Nano) {
			t.Errorf("%s not renewed: issued %s", m, rec["issued_at"])
		}
	}
	if err := svc.KeepAliveJob(ctx, []byte{}); err != nil { // the schedule's message again
		t.Fatal(err)
	}
	if got := renewedOnce(t, e); got != len(firstPages) {
		t.Errorf("the second delivery renewed again: %d renewals", got)
	}
	msgs := q.followUps(t)
	if len(msgs) != 1 {
		t.Fatalf("%d follow-ups queued, want 1", len(msgs))
	}
	if got := cursorOf(t, msgs[0]); got != cursor {
		t.Errorf("follow-up at cursor %d, want %d", got, cursor)
	}
	want := dedupID(e, cursor)
	if ids := q.publishes(); len(ids) != 2 || ids[0] != want || ids[1] != want {
		t.Errorf("publishes carried deduplication ids %q, want %q twice", ids, want)
	}
}

// Delivering the follow-up renews the next pages, each token once, whether QStash delivers
// it once, twice, or twenty times at once; its own follow-up is queued once.
func TestKeepAliveFollowUpRedelivered(t *testing.T) {
	e, svc, q := keepAliveSetup(t)
	ctx := context.Background()
	first, _ := scanPages(t, e, 0)
	if err := svc.KeepAliveJob(ctx, nil); err != nil {
		t.Fatal(err)
	}
	msgs := q.followUps(t)
	if len(msgs) != 1 {
		t.Fatalf("%d follow-ups, want 1", len(msgs))
	}
	second, next := scanPages(t, e, cursorOf(t, msgs[0]))
	if next == 0 {
		t.Fatal("the second message ends the pass: no follow-up to redeliver")
	}
	due := 0
	for m := range second {
		if !first[m] {
			due++
		}
	}
	if due == 0 {
		t.Fatal("the follow-up's pages hold nothing the first message left")
	}
	if err := svc.KeepAliveJob(ctx, msgs[0].Body); err != nil {
		t.Fatal(err)
	}
	if err := svc.KeepAliveJob(ctx, msgs[0].Body); err != nil {
		t.Fatal(err)
	}
	storetest.Together(20, func(int) {
		if err := svc.KeepAliveJob(ctx, msgs[0].Body); err != nil {
			t.Error(err)
		}
	})
	if got := renewedOnce(t, e); got != len(first)+due {
		t.Errorf("%d renewals after the follow-up, want %d (first pages) + %d (its pages)", got, len(first), due)
	}
	msgs = q.followUps(t)
	if len(msgs) != 2 || cursorOf(t, msgs[1]) != next {
		t.Fatalf("follow-ups %d (want 2, the second at cursor %d)", len(msgs), next)
	}
	if ids := q.publishes(); len(ids) != 23 || ids[len(ids)-1] != dedupID(e, next) {
		t.Errorf("publishes %d (want 23), last id %q", len(ids), ids[len(ids)-1])
	}
}

// Following the chain of follow-ups, each delivered twice (its members seen twice, as SSCAN
// may also return a member twice), renews every integration of the pass exactly once, also
// when users connect during the pass: the set grows under the cursor, and the ones connected
// meanwhile are fresh and left alone. The chain ends with the pass.
func TestKeepAlivePassCoversEveryIntegration(t *testing.T) {
	e, svc, q := keepAliveSetup(t)
	ctx := context.Background()
	if err := svc.KeepAliveJob(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for n, late := 1, keepAliveUsers; ; n++ {
		msgs := q.followUps(t)
		if len(msgs) < n {
			break // the last message reached cursor 0
		}
		if n > keepAliveUsers {
			t.Fatalf("more than %d follow-ups: the pass does not end", keepAliveUsers)
		}
		for range 2 {
			if err := svc.KeepAliveJob(ctx, msgs[n-1].Body); err != nil {
				t.Fatal(err)
			}
		}
		for ; n <= 10 && late < keepAliveUsers+3*n; late++ { // connected during the pass, not due
			e.user = fmt.Sprintf("user%022d", late)
			e.connect(t, provider.GitHub)
		}
	}
	if got := renewedOnce(t, e); got != keepAliveUsers {
		t.Errorf("the pass renewed %d integrations, want %d", got, keepAliveUsers)
	}
	for i := range keepAliveUsers {
		e.user = fmt.Sprintf("user%022d", i)
		if rec := e.record(t, provider.GitHub); rec["status"] != integration.StatusConnected || rec["issued_at"] != e.clock.Now().UTC().Format(time.RFC3339Nano) {
			t.Errorf("%s after the pass: status %s, issued %s", e.user, rec["status"], rec["issued_at"])
		}
	}
}
