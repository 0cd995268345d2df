package device_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

const (
	chromeMac   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	firefoxWin  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	safariIOS   = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	edgeWin     = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
	chromeDroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)

func TestDescribe(t *testing.T) {
	for ua, want := range map[string]string{
		chromeMac: "Chrome on macOS", firefoxWin: "Firefox on Windows", safariIOS: "Safari on iPhone",
		edgeWin: "Edge on Windows", chromeDroid: "Chrome on Android", "curl/8.5.0": "curl", "": "Unknown browser",
	} {
		if got := device.Describe(ua); got != want {
			t.Errorf("Describe(%.40q) = %q, want %q", ua, got, want)
		}
	}
}

func seen(t *testing.T, tr *device.Tracker, uid, id, ua string) string {
	t.Helper()
	v, err := tr.Seen(context.Background(), uid, id, web.Client{UserAgent: ua})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The first device is the signup's; the same cookie is known; an unknown cookie on a browser
// and system the account uses is its family; anything else is unfamiliar, once.
func TestSeenVerdicts(t *testing.T) {
	st := storetest.New(t)
	tr := device.New(st, time.Now)
	uid, laptop := ids.New(), ids.New()
	steps := []struct{ id, ua, want string }{
		{laptop, chromeMac, device.First},
		{laptop, chromeMac, device.Known},
		{ids.New(), chromeMac, device.SameFamily}, // cookies cleared
		{ids.New(), firefoxWin, device.Unfamiliar},
	}
	for i, s := range steps {
		if got := seen(t, tr, uid, s.id, s.ua); got != s.want {
			t.Fatalf("step %d: %q, want %q", i, got, s.want)
		}
	}
	if got := seen(t, tr, uid, steps[3].id, firefoxWin); got != device.Known {
		t.Fatalf("the new device once seen: %q", got)
	}
	if !st.R.SIsMember(context.Background(), st.IndexKey(uid), st.Key("user", uid, "devices")).Val() {
		t.Fatal("the device list is not in the user's index")
	}
}

// At most Cap devices are kept; the least recently seen goes first.
func TestSeenBounded(t *testing.T) {
	st := storetest.New(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tr := device.New(st, func() time.Time { return now })
	uid, first := ids.New(), ids.New()
	seen(t, tr, uid, first, chromeMac)
	for i := range device.Cap + 5 {
		now = now.Add(time.Minute)
		seen(t, tr, uid, ids.New(), firefoxWin+string(rune('a'+i)))
	}
	list, err := tr.List(context.Background(), uid)
	if err != nil || len(list) != device.Cap {
		t.Fatalf("%d devices (%v), want %d", len(list), err, device.Cap)
	}
	if got := seen(t, tr, uid, first, safariIOS); got != device.Unfamiliar {
		t.Fatalf("the oldest device was kept: %q", got)
	}
}

// Twenty sign-ins at once from one new browser (each without a cookie yet) are one
// unfamiliar device, not twenty.
func TestSeenParallelOneVerdict(t *testing.T) {
	st := storetest.New(t)
	tr := device.New(st, time.Now)
	uid := ids.New()
	seen(t, tr, uid, ids.New(), chromeMac)
	var mu sync.Mutex
	count := map[string]int{}
	storetest.Together(20, func(int) {
		v, err := tr.Seen(context.Background(), uid, ids.New(), web.Client{UserAgent: firefoxWin})
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		count[v]++
		mu.Unlock()
	})
	if count[device.Unfamiliar] != 1 || count[device.SameFamily] != 19 {
		t.Fatalf("verdicts %v, want one new", count)
	}
}

// Identify keeps a well-formed cookie and replaces anything else.
func TestIdentify(t *testing.T) {
	id := ids.New()
	rec := httptest.NewRecorder()
	if got := device.Identify(rec, web.Client{Device: id}); got != id {
		t.Fatalf("kept %q, want %q", got, id)
	}
	ck := rec.Result().Cookies()[0]
	if ck.Name != web.DeviceCookie || !ck.HttpOnly || !ck.Secure || ck.MaxAge < 86400*399 {
		t.Fatalf("cookie %+v", ck)
	}
	if got := device.Identify(httptest.NewRecorder(), web.Client{Device: "<script>"}); !ids.Valid(got) {
		t.Fatalf("a forged cookie was kept: %q", got)
	}
}
