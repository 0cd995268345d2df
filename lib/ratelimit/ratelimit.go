// Package ratelimit counts attempts in Redis, per subject (an IP, an account) in fixed windows,
// so that every function instance sees the same counts. Limits of attempts use plain commands
// in one MULTI pipeline; a quota of accepted uses (Reserve) needs a conditional increment,
// one Lua script of plain commands (no redis.replicate_commands(), which Upstash refuses).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Limit allows Max attempts per Window for each subject.
type Limit struct {
	Name   string
	Max    int64
	Window time.Duration
	// ByIP marks a limit whose subjects are client addresses: they count under IPSubject.
	ByIP bool
}

// Limiter applies limits against a store.
type Limiter struct {
	st *store.Store
}

// New returns a Limiter over st.
func New(st *store.Store) *Limiter { return &Limiter{st: st} }

// Key is where a subject's count for l lives. Subjects are hashed, so no e-mail address or IP
// ever appears in a key name.
func (l *Limiter) Key(lim Limit, subject string) string {
	if lim.ByIP {
		subject = IPSubject(subject)
	}
	sum := sha256.Sum256([]byte(subject))
	return l.st.Key("rl", lim.Name, hex.EncodeToString(sum[:12]))
}

// Allow counts one attempt and answers a 429 problem when it goes over the limit.
func (l *Limiter) Allow(ctx context.Context, lim Limit, subject string) error {
	n, ttl, err := l.incr(ctx, lim, subject)
	if err != nil {
		return err
	}
	if n > lim.Max {
		return problem.RateLimited(ttl)
	}
	return nil
}

// Hit counts one attempt (a failure, say) without judging it.
func (l *Limiter) Hit(ctx context.Context, lim Limit, subject string) error {
	_, _, err := l.incr(ctx, lim, subject)
	return err
}

// Check answers a 429 problem when the subject has used up its attempts, without counting.
func (l *Limiter) Check(ctx context.Context, lim Limit, subject string) error {
	key := l.Key(lim, subject)
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := l.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, key)
		ttl = p.PTTL(ctx, key)
		return nil
	})
	if err != nil && err != redis.Nil {
		return store.Err(err)
	}
	n, _ := get.Int64()
	if n >= lim.Max {
		return problem.RateLimited(positive(ttl.Val(), lim.Window))
	}
	return nil
}

// Release gives back one attempt that Allow counted, for an attempt that turned out well (a
// correct password), and leaves every other attempt counted. It is not Reset: under a burst
// of parallel guesses, a reset by the one correct attempt would let the rest through. DECR
// can only recreate the counter if its window ended meanwhile; EXPIRE NX then bounds it to
// one window, and the INCR puts it back to zero.
func (l *Limiter) Release(ctx context.Context, lim Limit, subject string) error {
	key := l.Key(lim, subject)
	var decr *redis.IntCmd
	_, err := l.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		decr = p.Decr(ctx, key)
		p.ExpireNX(ctx, key, lim.Window)
		return nil
	})
	if err == nil && decr.Val() < 0 {
		err = l.st.R.Incr(ctx, key).Err()
	}
	return store.Err(err)
}

// Reset forgets a subject's attempts (after a successful sign-in, say).
func (l *Limiter) Reset(ctx context.Context, lim Limit, subject string) error {
	return store.Err(l.st.R.Del(ctx, l.Key(lim, subject)).Err())
}

func (l *Limiter) incr(ctx context.Context, lim Limit, subject string) (int64, time.Duration, error) {
	key := l.Key(lim, subject)
	var incr *redis.IntCmd
	var ttl *redis.DurationCmd
	_, err := l.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// SET NX EX starts the window with its expiry; INCR keeps that expiry.
		p.SetNX(ctx, key, 0, lim.Window)
		incr = p.Incr(ctx, key)
		ttl = p.PTTL(ctx, key)
		return nil
	})
	if err != nil {
		return 0, 0, store.Err(err)
	}
	return incr.Val(), positive(ttl.Val(), lim.Window), nil
}

func positive(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}
