package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// reserveScript counts one use (KEYS[1] the counter; ARGV[1] the limit, ARGV[2] the window in
// ms) only while the subject is under its limit, and answers {taken, pttl}. A quota must not
// be used up by what it refuses, and a check-then-increment in two steps would let parallel
// requests past it; in one script neither happens. (Upstash runs Lua scripts.)
var reserveScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {0, redis.call('PTTL', KEYS[1])} end
redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, redis.call('PTTL', KEYS[1])}
`)

// releaseScript gives one use back, unless the window has ended meanwhile: a DECR on an
// expired counter would start a new one at -1 with no expiry.
var releaseScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`)

// Reservation is one use of a quota, taken by Reserve, that can be given back.
type Reservation struct {
	l   *Limiter
	key string
}

// Reserve takes one use of the subject's quota, or answers a 429 problem without counting
// anything when it is used up. Validate the request first, and Release the reservation if
// what it was for fails: only what was accepted counts.
func (l *Limiter) Reserve(ctx context.Context, lim Limit, subject string) (*Reservation, error) {
	key := l.Key(lim, subject)
	res, err := reserveScript.Run(ctx, l.st.R, []string{key}, lim.Max, lim.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, store.Err(err)
	}
	if res[0] == 0 {
		return nil, problem.RateLimited(positive(time.Duration(res[1])*time.Millisecond, lim.Window))
	}
	return &Reservation{l: l, key: key}, nil
}

// Release gives the use back (the request it was taken for failed).
func (r *Reservation) Release(ctx context.Context) error {
	return store.Err(releaseScript.Run(ctx, r.l.st.R, []string{r.key}).Err())
}
