package delivery_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// Twenty one-click POSTs of one token at once (a mail provider retrying): one unsubscription,
// recorded once, in the user's index; twenty "Send now" at once: ten accepted (the limit),
// ten runs published.
func TestTogetherUnsubscribeAndSendNow(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	w.drain()
	tok := unsubToken(t, w.out.to("client@example.com")[0])
	ctx := context.Background()
	storetest.Together(20, func(int) {
		if _, err := w.d.Unsubscribe(ctx, tok); err != nil {
			t.Error(err)
		}
	})
	k := w.st.Key("user", "u1", "schedule", sc.ID, "unsubscribed")
	if n := w.st.R.HLen(ctx, k).Val(); n != 1 || !w.indexed("u1", k) {
		t.Fatalf("%d unsubscriptions stored (indexed %v)", n, w.indexed("u1", k))
	}
	var ok atomic.Int64
	storetest.Together(20, func(int) {
		if _, err := w.d.SendNow(ctx, "u1", sc.ID, false); err == nil {
			ok.Add(1)
		}
	})
	if ok.Load() != 10 || len(w.q.take()) != 10 {
		t.Fatalf("%d Send now accepted", ok.Load())
	}
}
