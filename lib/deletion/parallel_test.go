package deletion

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

// 20 deletions of one account at once, with the same session and password: one wins; the
// others are answered as any request after a deletion (401), or by the password-attempt
// limit they reached first (429). One tombstone, one purge message, one account_deleted
// event; after the purge nothing of the user is left.
func TestParallelDeletionsOneWins(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "twenty@example.com")
	ctx := context.Background()
	errs := make([]error, 20)
	storetest.Together(20, func(i int) {
		_, errs[i] = f.svc.Delete(ctx, httptest.NewRecorder(), sess, account.DeleteInput{Password: pw}, web.Client{})
	})
	wins := 0
	for _, err := range errs {
		switch problem.CodeOf(err) {
		case "":
			wins++
		case "unauthenticated", "rate_limited":
		default:
			t.Errorf("a losing deletion answered %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d deletions won, want 1 (%v)", wins, errs)
	}
	tokens := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, -1).Val()
	if len(tokens) != 1 || len(f.pub.sent) != 1 {
		t.Fatalf("%d tombstones, %d purge messages; want 1 and 1", len(tokens), len(f.pub.sent))
	}
	events := 0
	for _, e := range f.st.R.LRange(ctx, f.st.Key("user", sess.UserID, "audit"), 0, -1).Val() {
		if strings.Contains(e, `"account_deleted"`) {
			events++
		}
	}
	if events != 1 {
		t.Fatalf("%d account_deleted events, want 1", events)
	}
	if err := f.svc.Purge(ctx, []byte(`{"user_id":"`+sess.UserID+`","tombstone":"`+tokens[0]+`"}`)); err != nil {
		t.Fatal(err)
	}
	if left, _ := f.svc.Verify(ctx, sess.UserID, "twenty@example.com"); len(left) != 0 {
		t.Fatalf("left after the purge: %+v", left)
	}
	// A deletion arriving after the purge is answered the same way and writes nothing.
	if _, err := f.svc.Delete(ctx, httptest.NewRecorder(), sess, account.DeleteInput{Password: pw}, web.Client{}); problem.CodeOf(err) != "unauthenticated" {
		t.Fatalf("a deletion after the purge: %v", err)
	}
	if left, _ := f.svc.Verify(ctx, sess.UserID, "twenty@example.com"); len(left) != 0 {
		t.Fatalf("a deletion after the purge left %+v", left)
	}
}

// Breaks is exactly the invariant of docs/security.md: not billing, not in the user's index,
// and no expiry within 30 days.
func TestLeftoverBreaks(t *testing.T) {
	cases := []struct {
		l    Leftover
		want bool
	}{
		{Leftover{TTL: -1}, true},
		{Leftover{TTL: Backstop + time.Second}, true},
		{Leftover{TTL: Backstop}, false},
		{Leftover{TTL: time.Minute}, false},
		{Leftover{TTL: -1, Indexed: true}, false},
		{Leftover{TTL: -1, Billing: true}, false},
	}
	for _, c := range cases {
		if got := c.l.Breaks(); got != c.want {
			t.Errorf("%+v.Breaks() = %v, want %v", c.l, got, c.want)
		}
	}
}

// A report list left outside the index before the fix is found by name: the backstop gives it
// an expiry and the purge removes it.
func TestDeletionFindsAListThatEscapedTheIndex(t *testing.T) {
	f := setup(t)
	sess := f.signUp(t, "legacy@example.com")
	ctx := context.Background()
	list := f.st.Key("user", sess.UserID, "reports")
	f.st.R.ZAdd(ctx, list, redis.Z{Score: 1, Member: "r1"})
	f.st.R.SRem(ctx, f.st.IndexKey(sess.UserID), list)
	f.pub.fail = errors.New("qstash is down")
	f.delete(t, sess)
	if ttl := f.st.R.TTL(ctx, list).Val(); ttl <= 0 || ttl > Backstop {
		t.Fatalf("escaped list TTL after deletion = %v; the backstop missed it", ttl)
	}
	token := f.st.R.ZRange(ctx, f.svc.tombstones(), 0, 0).Val()[0]
	if err := f.svc.Purge(ctx, []byte(`{"user_id":"`+sess.UserID+`","tombstone":"`+token+`"}`)); err != nil {
		t.Fatal(err)
	}
	if f.st.R.Exists(ctx, list).Val() != 0 {
		t.Fatal("the escaped list survived the purge")
	}
}
