package onetime

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestIssuePeekAndVoid(t *testing.T) {
	st := storetest.New(t)
	tk, ctx := New(st), context.Background()
	first, hash, err := tk.Issue(ctx, PasswordReset, Claim{UserID: "u1", Data: map[string]string{"k": "v"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 43 || hash != Hash(first) {
		t.Fatalf("token %q (%d chars), hash %q", first, len(first), hash)
	}
	// Only the hash is stored, with an expiry, outside the user's index.
	if st.R.Exists(ctx, st.Key("token", "reset", first)).Val() != 0 {
		t.Fatal("the token itself is a key name")
	}
	ttl := st.R.TTL(ctx, tk.Key(PasswordReset, hash)).Val()
	if ttl <= 0 || ttl > time.Hour {
		t.Fatalf("TTL %v", ttl)
	}
	c, err := tk.Peek(ctx, PasswordReset, first)
	if err != nil || c.UserID != "u1" || c.Data["k"] != "v" {
		t.Fatalf("Peek = %+v, %v", c, err)
	}
	if _, err := tk.Peek(ctx, VerifyEmail, first); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("another purpose: %v", err)
	}
	second, _, err := tk.Issue(ctx, PasswordReset, Claim{UserID: "u1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Peek(ctx, PasswordReset, first); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("older token after a newer one: %v", err)
	}
	if _, err := tk.Peek(ctx, PasswordReset, second[:len(second)-1]+"x"); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("tampered: %v", err)
	}
}

// Two tokens issued at the same instant: only the one the pointer names is live.
func TestParallelIssueOneLive(t *testing.T) {
	st := storetest.New(t)
	tk, ctx := New(st), context.Background()
	toks := make([]string, 10)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Add(1)
		go func() { defer wg.Done(); toks[i], _, _ = tk.Issue(ctx, VerifyEmail, Claim{UserID: "u2"}, time.Hour) }()
	}
	wg.Wait()
	live := 0
	for _, tok := range toks {
		if _, err := tk.Peek(ctx, VerifyEmail, tok); err == nil {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d live tokens; want 1", live)
	}
}

// Many redemptions of one token at once, all past their check before any commits: exactly
// one applies its change.
func TestRedeemExactlyOnce(t *testing.T) {
	st := storetest.New(t)
	tk, ctx := New(st), context.Background()
	tok, _, err := tk.Issue(ctx, PasswordReset, Claim{UserID: "u3"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const n, together = 20, 4 // together: the store's pool size, each WATCH holds a connection
	var arrived atomic.Int32
	gate := make(chan struct{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			_, err := tk.Redeem(ctx, PasswordReset, tok, nil, func(*redis.Tx, *Claim) error {
				if first {
					first = false
					if arrived.Add(1) == together {
						close(gate)
					} else if arrived.Load() < together {
						<-gate
					}
				}
				return nil
			}, func(p redis.Pipeliner, _ *Claim) { p.Incr(ctx, st.Key("applied")) })
			if err == nil {
				wins.Add(1)
			} else if problem.CodeOf(err) != "invalid_token" {
				t.Errorf("redeem: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || st.R.Get(ctx, st.Key("applied")).Val() != "1" {
		t.Fatalf("%d redemptions won, applied %s times; want 1", wins.Load(), st.R.Get(ctx, st.Key("applied")).Val())
	}
}
