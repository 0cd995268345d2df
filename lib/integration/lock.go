package integration

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/store"
)

// refreshLock is a Redis lock on one integration's refresh: SET NX PX with a random value,
// released only by its holder. Refresh tokens rotate (Stripe, GitHub, the sandbox): two
// functions refreshing at once would spend the same refresh token twice, and the provider
// answers the second with invalid_grant, or revokes the grant outright.
type refreshLock struct {
	s     *Service
	key   string
	value string
}

// errLockBusy: another function kept the lock for longer than we can wait.
var errLockBusy = fmt.Errorf("integration: another refresh of this integration is in progress")

// unlockScript deletes the lock only if it is still ours: if ours expired and another
// function took it, deleting theirs would let a third one in beside them.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// tryLock takes the refresh lock of an integration if it is free; nil if another function
// holds it.
func (s *Service) tryLock(ctx context.Context, userID, providerID string) (*refreshLock, error) {
	l := &refreshLock{s: s, key: s.lockKey(userID, providerID), value: ids.Token(16)}
	var set *redis.BoolCmd
	_, err := s.o.Store.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		set = p.SetNX(ctx, l.key, l.value, s.o.LockTTL)
		s.o.Store.Own(ctx, p, userID, l.key)
		return nil
	})
	if err != nil {
		return nil, store.Err(fmt.Errorf("integration: lock: %w", err))
	}
	if !set.Val() {
		return nil, nil
	}
	return l, nil
}

// lock takes the refresh lock, waiting up to LockWait for the holder to finish.
func (s *Service) lock(ctx context.Context, userID, providerID string) (*refreshLock, error) {
	w := s.waiter()
	for {
		l, err := s.tryLock(ctx, userID, providerID)
		if l != nil || err != nil {
			return l, err
		}
		if err := w.wait(ctx); err != nil {
			return nil, err
		}
	}
}

// waiter paces polling for a lock: short pauses first (a refresh usually takes a few
// hundred milliseconds), never past LockWait.
type waiter struct {
	deadline time.Time
	pause    time.Duration
}

func (s *Service) waiter() *waiter {
	return &waiter{deadline: time.Now().Add(s.o.LockWait), pause: 5 * time.Millisecond}
}

func (w *waiter) wait(ctx context.Context) error {
	if time.Now().Add(w.pause).After(w.deadline) {
		return errLockBusy
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(w.pause):
	}
	w.pause = min(w.pause*2, 100*time.Millisecond)
	return nil
}

// unlock releases the lock if it is still ours, even when the request's context is done.
func (l *refreshLock) unlock(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, l.s.o.Store.R, []string{l.key}, l.value).Err()
}
