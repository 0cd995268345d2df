package ratelimit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestAllowCountsWithinWindow(t *testing.T) {
	st := storetest.New(t)
	l := New(st)
	ctx := context.Background()
	lim := Limit{Name: "test", Max: 3, Window: time.Minute}
	for i := 0; i < 3; i++ {
		if err := l.Allow(ctx, lim, "1.2.3.4"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
	}
	err := l.Allow(ctx, lim, "1.2.3.4")
	p, ok := problem.As(err)
	if !ok || p.Code != "rate_limited" || p.RetryAfter <= 0 || p.RetryAfter > time.Minute {
		t.Fatalf("4th attempt: %v (retry after %v)", err, p.RetryAfter)
	}
	if err := l.Allow(ctx, lim, "5.6.7.8"); err != nil {
		t.Fatalf("another subject refused: %v", err)
	}
	ttl := st.R.PTTL(ctx, l.Key(lim, "1.2.3.4")).Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("counter TTL = %v; every counter must expire with its window", ttl)
	}
}

func TestCheckHitReset(t *testing.T) {
	st := storetest.New(t)
	l := New(st)
	ctx := context.Background()
	lim := Limit{Name: "fail", Max: 2, Window: time.Hour}
	if err := l.Check(ctx, lim, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	_ = l.Hit(ctx, lim, "ada@example.com")
	if err := l.Check(ctx, lim, "ada@example.com"); err != nil {
		t.Fatalf("after 1 of 2: %v", err)
	}
	_ = l.Hit(ctx, lim, "ada@example.com")
	if problem.CodeOf(l.Check(ctx, lim, "ada@example.com")) != "rate_limited" {
		t.Fatal("after 2 of 2: not limited")
	}
	if err := l.Reset(ctx, lim, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(ctx, lim, "ada@example.com"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

func TestKeysHideSubjects(t *testing.T) {
	st := storetest.New(t)
	l := New(st)
	_ = l.Hit(context.Background(), Limit{Name: "x", Max: 1, Window: time.Minute}, "ada@example.com")
	for _, k := range storetest.Keys(t, st) {
		if strings.Contains(k, "ada") || strings.Contains(k, "example") {
			t.Fatalf("key %q reveals the subject", k)
		}
	}
}

// Release gives back one attempt and no more, and never leaves a counter that outlives its
// window or starts the next one below zero (the window ended between Allow and Release).
func TestReleaseGivesBackOneAttempt(t *testing.T) {
	st := storetest.New(t)
	l := New(st)
	ctx := context.Background()
	lim := Limit{Name: "release", Max: 2, Window: time.Minute}
	key := l.Key(lim, "ada@example.com")
	_ = l.Allow(ctx, lim, "ada@example.com")
	_ = l.Allow(ctx, lim, "ada@example.com")
	if err := l.Release(ctx, lim, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.R.Get(ctx, key).Int64(); n != 1 {
		t.Fatalf("counter after release = %d, want 1", n)
	}
	st.R.Del(ctx, key) // the window ends
	if err := l.Release(ctx, lim, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	n, _ := st.R.Get(ctx, key).Int64()
	if ttl := st.R.PTTL(ctx, key).Val(); n != 0 || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("release after the window: counter %d, ttl %v; want 0 within one window", n, ttl)
	}
}
