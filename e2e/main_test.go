// Package e2e tests the product from the outside: HTTP in, against the local server with
// every real function, and HTTP answers plus Redis state out. With REDIS_URL set (CI) it runs
// on that real Redis.
package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }

// unchangedFor runs refused requests and fails if they changed any of the user's stored data.
// Only the traces every authenticated request leaves may move: the security log, the usage
// counter and the session records' last-seen times. Scoped to the user, it is safe beside
// parallel tests.
func unchangedFor(t *testing.T, userID string, refused func()) {
	t.Helper()
	before := devtest.Snapshot(t, userID)
	refused()
	after := devtest.Snapshot(t, userID)
	activity := func(k string) bool {
		k = strings.TrimPrefix(k, devtest.Store.Prefix())
		return strings.HasSuffix(k, ":audit") || strings.HasSuffix(k, ":usage") || strings.HasPrefix(k, "sess:")
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
