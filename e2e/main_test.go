// Package e2e tests the product from the outside: HTTP in, against the local server with
// every real function, and HTTP answers plus Redis state out. With REDIS_URL set (CI) it runs
// on that real Redis.
package e2e

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }

// unchangedFor runs refused requests and fails if they changed any of the user's stored data.
// Only the traces every authenticated request leaves may move: the security log, the usage
// counter and the session records' last-seen times. The user's mail records are compared by
// message only: the send job settles earlier messages in the background (queued → sent), but a
// refused request must not queue one. Scoped to the user, it is safe beside parallel tests.
func unchangedFor(t *testing.T, userID string, refused func()) {
	t.Helper()
	before, mailBefore := devtest.Snapshot(t, userID), mailKeys(t, userID)
	refused()
	after, mailAfter := devtest.Snapshot(t, userID), mailKeys(t, userID)
	if !slices.Equal(mailBefore, mailAfter) {
		t.Errorf("refused requests queued mail: before %v, after %v", mailBefore, mailAfter)
	}
	activity := func(k string) bool {
		k = strings.TrimPrefix(k, devtest.Store.Prefix())
		return strings.HasSuffix(k, ":audit") || strings.HasSuffix(k, ":usage") || strings.HasPrefix(k, "sess:") || strings.HasSuffix(k, ":mail")
	}
	for k, v := range after {
		if !activity(k) && before[k] != v {
			t.Errorf("refused requests changed %s:\n before %q\n after  %q", k, before[k], v)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok && !activity(k) {
			t.Errorf("refused requests deleted %s", k)
		}
	}
}

// mailKeys lists the keys of the messages queued for the user, sorted.
func mailKeys(t *testing.T, userID string) []string {
	t.Helper()
	keys, err := devtest.Store.R.HKeys(context.Background(), devtest.Store.Key("user", userID, "mail")).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}
