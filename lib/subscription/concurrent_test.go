package subscription

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// Twenty webhooks for one subscription at once, while the customer switches to yearly in the
// middle of them: the account ends on Stripe's final state (pro, yearly), because every
// handler reads and writes under the subscription's lock, so the last writer read last.
// Run against the real Redis with REDIS_URL.
func TestConcurrentWebhooksOneSubscription(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	uid := e.user("u1")
	subID := e.subscribe(uid, "month")
	meta := map[string]any{"metadata": map[string]string{"account": uid}}
	// The first read of the monthly state is held until the switch to yearly has been made
	// and read by others: without the lock, its stale write would land last.
	read, switched := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func(b []byte) {
		if bytes.Contains(b, []byte(`"interval":"month"`)) && bytes.Contains(b, []byte(`"object":"subscription"`)) {
			once.Do(func() { close(read) })
			select {
			case <-switched:
				time.Sleep(50 * time.Millisecond) // lets the yearly readers write first, if they can
			case <-time.After(5 * time.Second):
			}
		}
	}
	e.slow.Store(&hold)
	status := make([]int, 20)
	storetest.Together(20, func(i int) {
		if i >= 10 {
			<-read
		}
		if i == 10 {
			if err := e.sandbox.Apply(subID, "yearly"); err != nil {
				t.Error(err)
			}
			close(switched)
		}
		ev := event(fmt.Sprintf("evt_c%02d", i), "customer.subscription.updated", subID, meta)
		status[i] = e.deliver(ev, signed(ev, testSecret, time.Now()))
	})
	e.sandbox.Flush(ctx) // the switch's own webhooks, after the burst
	for i, s := range status {
		if s != http.StatusOK {
			t.Errorf("delivery %d: %d", i, s)
		}
	}
	e.allDelivered()
	if s := e.sub(uid); s.Plan != "pro" || s.Interval != "year" || s.Status != "active" {
		t.Fatalf("end state %+v, want pro yearly active", s)
	}
	if n := e.st.R.Exists(ctx, e.st.Key("billing", "lock", subID)).Val(); n != 0 {
		t.Fatal("the subscription's lock outlived the handlers")
	}
}
