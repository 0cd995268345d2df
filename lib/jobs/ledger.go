package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Defaults for the message ledger.
const (
	// DefaultRunningTTL bounds a claim: exactly as long as Vercel lets a job function run
	// (vercel.json's maxDuration for api/jobs, 60 s; web.JobDeadline ends the work a second
	// before), so a live run is never overtaken, and a run killed mid-way blocks QStash's
	// retries no longer than it could have run.
	DefaultRunningTTL = web.JobDeadline + time.Second
	// DefaultDoneTTL is how long a completed message id is remembered: far longer than
	// QStash keeps retrying or redelivering a message.
	DefaultDoneTTL = 7 * 24 * time.Hour
	// DefaultBookkeepingTimeout bounds recording a run's outcome in Redis; it starts when the
	// run returns.
	DefaultBookkeepingTimeout = 5 * time.Second
)

const doneValue = "done"

type claimState int

const (
	claimed claimState = iota
	alreadyDone
	stillRunning
	replayed
)

// tokenTTL is how long a token's binding to its message id is kept: past the end of the
// longest-lived token Verify accepts (issued up to leeway in the future, valid for
// MaxTokenLifetime, expired only after leeway), so no token outlives its binding.
const tokenTTL = MaxTokenLifetime + 2*leeway

// claimScript takes the message for this run in one round trip. First the delivery's token
// (KEYS[2]) is bound to its message id: a token seen before with another id is a captured
// delivery replayed under a fresh, unsigned Upstash-Message-Id, refused (3). Then the ledger
// (KEYS[1]): absent → claim it with our token; "done" → already completed; anything else →
// another delivery is running it (and PTTL says for how long at most).
var claimScript = redis.NewScript(`
local bound = redis.call('GET', KEYS[2])
if bound and bound ~= ARGV[4] then return {3, 0} end
if not bound then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5]) end
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {0, 0}
end
if v == ARGV[3] then return {1, 0} end
return {2, redis.call('PTTL', KEYS[1])}
`)

// releaseScript deletes the claim only if it is still ours: if our claim expired and another
// delivery claimed the message, deleting its claim would let a third run start beside it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ledger remembers, per job and message id, whether a delivery is running or has completed,
// so a redelivered message changes nothing twice while a failed one can run again.
type ledger struct {
	st         *store.Store
	runningTTL time.Duration
	doneTTL    time.Duration
}

func (l ledger) key(job, msgID string) string { return l.st.Key("job", job, msgID) }

// tokenKey is where a delivery token's jti is bound to the message id it came with.
func (l ledger) tokenKey(jti string) string { return l.st.Key("jobtoken", jti) }

// claim binds the delivery's token (tokenKey) to msgID and tries to take the message (key). It
// returns the token that owns the claim, or the state that prevents it and, for a running
// one, how long until its claim lapses.
func (l ledger) claim(ctx context.Context, key, tokenKey, msgID string) (token string, state claimState, wait time.Duration, err error) {
	token = "running:" + randomHex(8)
	res, err := claimScript.Run(ctx, l.st.R, []string{key, tokenKey}, token, l.runningTTL.Milliseconds(), doneValue, msgID, tokenTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return "", 0, 0, store.Err(fmt.Errorf("jobs: claim %s: %w", key, err))
	}
	if len(res) != 2 {
		return "", 0, 0, store.Err(fmt.Errorf("jobs: claim %s: unexpected reply %v", key, res))
	}
	return token, claimState(res[0]), time.Duration(res[1]) * time.Millisecond, nil
}

// complete records the message as done, whoever holds the claim: the work happened.
func (l ledger) complete(ctx context.Context, key string) error {
	if err := l.st.R.Set(ctx, key, doneValue, l.doneTTL).Err(); err != nil {
		return store.Err(fmt.Errorf("jobs: mark %s done: %w", key, err))
	}
	return nil
}

// release gives up our claim so that QStash's retry runs the job again.
func (l ledger) release(ctx context.Context, key, token string) error {
	if err := releaseScript.Run(ctx, l.st.R, []string{key}, token).Err(); err != nil {
		return store.Err(fmt.Errorf("jobs: release %s: %w", key, err))
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
