package delivery_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func storetestKeys(t *testing.T, w *world) []string { return storetest.Keys(t, w.st) }

func (w *world) indexed(uid, key string) bool {
	ok, _ := w.st.R.SIsMember(context.Background(), w.st.IndexKey(uid), key).Result()
	return ok
}

// Every key a run writes for a user (runs, their order, tokens, unsubscriptions, who was
// introduced, mail) is in the user's index, so the account purge removes it.
func TestEveryKeyInTheIndex(t *testing.T) {
	w := newWorld(t)
	w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	w.drain()
	for _, k := range storetest.Keys(t, w.st) {
		mine := strings.Contains(k, "user:u1:") || strings.Contains(k, ":unsub:") || strings.Contains(k, ":report:")
		if !mine || strings.HasSuffix(k, ":keys") || strings.Contains(k, "schedules:due") || strings.Contains(k, "reports:inflight") {
			continue
		}
		if !w.indexed("u1", k) && !strings.Contains(k, ":rl:") && !strings.HasSuffix(k, ":usage") { // usage: lib/report's
			t.Errorf("%s is not in u1's index", k)
		}
	}
}
