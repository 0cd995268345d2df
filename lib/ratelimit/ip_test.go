package ratelimit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestIPSubject(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1":                   "192.0.2.1",
		"::ffff:192.0.2.1":            "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"2001:0db8:0001:0002:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":             "2001:db8:1:3::/64",
		"fe80::1%eth0":                "fe80::/64",
		"::1":                         "::/64",
		"not an address":              "not an address",
		"":                            "",
	}
	for in, want := range cases {
		if got := IPSubject(in); got != want {
			t.Errorf("IPSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// Twenty addresses of one /64, released together, share one counter: exactly Max get
// through and Redis holds one count of 20. Another /64 has its own; IPv4 and its mapped
// IPv6 form share theirs.
func TestIPv6LimitedByItsSlash64(t *testing.T) {
	st := storetest.New(t)
	l := New(st)
	ctx := context.Background()
	lim := Limit{Name: "test-ip", Max: 10, Window: time.Minute, ByIP: true}
	var allowed atomic.Int64
	storetest.Together(20, func(i int) {
		if l.Allow(ctx, lim, fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1)) == nil {
			allowed.Add(1)
		}
	})
	if allowed.Load() != lim.Max {
		t.Fatalf("%d of 20 addresses in one /64 allowed, want %d", allowed.Load(), lim.Max)
	}
	if n, _ := st.R.Get(ctx, l.Key(lim, "2001:db8:1:2::1")).Int64(); n != 20 {
		t.Fatalf("the /64's counter in Redis = %d, want 20", n)
	}
	if keys := storetest.Keys(t, st); len(keys) != 1 {
		t.Fatalf("counters in Redis: %v; want the /64's only", keys)
	}
	if err := l.Allow(ctx, lim, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64 refused: %v", err)
	}
	if l.Key(lim, "::ffff:192.0.2.1") != l.Key(lim, "192.0.2.1") || l.Key(lim, "192.0.2.1") == l.Key(lim, "192.0.2.2") {
		t.Fatal("IPv4 addresses must count by the full address, mapped or not")
	}
	// A limit that is not per IP keeps its subjects whole.
	other := Limit{Name: "test-user", Max: 1, Window: time.Minute}
	if l.Key(other, "2001:db8:1:2::1") == l.Key(other, "2001:db8:1:2::2") {
		t.Fatal("a limit without ByIP merged two subjects")
	}
}
