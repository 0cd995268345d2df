package schedule

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// What a write does to the schedule's entry in the due set.
const (
	dueKeep   = "keep"   // timing and pause unchanged: the tick's advances stand
	dueSet    = "set"    // new timing, a resume or a new schedule: NextRunAt
	dueRemove = "remove" // paused: not due until resumed
)

// errChanged: the schedule changed between the read and the write of an edit (retried).
var errChanged = errors.New("schedule: changed meanwhile")

// ErrBusy is the answer to an edit that lost the race to other edits of the same schedule
// too many times in a row.
var ErrBusy = problem.Conflict("edit_conflict", "This schedule is being changed elsewhere. Reload it and try again.")

// writeScript stores a new or edited schedule and everything that must agree with it, in one
// step: KEYS[1] schedules, KEYS[2] fingerprints, KEYS[3] due set, KEYS[4] the user's index,
// KEYS[5] new recipients (address → when added). ARGV: 1 id, 2 the stored value the edit
// was made from ("" to create), 3 new value, 4 fingerprint, 5 due action, 6 due score, 7 due
// member, 8 max schedules, 9 max new recipients in the window, 10 now, 11 window start,
// 12.. the addresses the write adds.
//
// A create fails when the user is full or the fingerprint is another schedule's; an edit
// when the schedule is gone (deleted meanwhile: nothing is recreated, no due entry left) or
// no longer the value it was made from (the caller re-reads and re-applies). New addresses
// count once per rolling window however often they are removed and re-added.
var writeScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if cur then return 'changed' end
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[8]) then return 'full' end
else
  if not cur then return 'gone' end
  if cur ~= ARGV[2] then return 'changed' end
end
local holder = redis.call('HGET', KEYS[2], ARGV[4])
if holder and holder ~= ARGV[1] then return 'duplicate' end
if #ARGV > 11 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[11])
  local fresh = 0
  for i = 12, #ARGV do
    if not redis.call('ZSCORE', KEYS[5], ARGV[i]) then fresh = fresh + 1 end
  end
  if fresh > 0 and redis.call('ZCARD', KEYS[5]) + fresh > tonumber(ARGV[9]) then return 'daily' end
  for i = 12, #ARGV do redis.call('ZADD', KEYS[5], 'NX', ARGV[10], ARGV[i]) end
end
for _, fp in ipairs(redis.call('HKEYS', KEYS[2])) do
  if fp ~= ARGV[4] and redis.call('HGET', KEYS[2], fp) == ARGV[1] then redis.call('HDEL', KEYS[2], fp) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
if ARGV[5] == 'set' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
elseif ARGV[5] == 'remove' then
  redis.call('ZREM', KEYS[3], ARGV[7])
end
redis.call('SADD', KEYS[4], KEYS[1], KEYS[2], KEYS[5])
return 'ok'
`)

// write is one schedule write through writeScript; from is the stored value an edit was
// made from ("" for a create), added the addresses it adds.
type write struct {
	userID, from string
	sc           *Schedule
	due          string
	added        []string
}

func (s *Service) write(ctx context.Context, w write, lim Limits) error {
	b, _ := json.Marshal(w.sc)
	now := s.now()
	keys := []string{s.userKey(w.userID), s.fpKey(w.userID), s.dueKey(), s.st.IndexKey(w.userID), s.newRecipientsKey(w.userID)}
	args := []any{w.sc.ID, w.from, b, w.sc.fingerprint(), w.due, w.sc.NextRunAt.Unix(), member(w.userID, w.sc.ID),
		lim.Schedules, lim.NewRecipientsPerDay, now.Unix(), now.Add(-newRecipientsWindow).Unix()}
	for _, a := range w.added {
		args = append(args, a)
	}
	res, err := writeScript.Run(ctx, s.st.R, keys, args...).Text()
	if err != nil {
		return store.Err(err)
	}
	return writeResult(res, lim)
}

func writeResult(res string, lim Limits) error {
	switch res {
	case "ok":
		return nil
	case "duplicate":
		return ErrDuplicate
	case "full":
		return errTooMany(lim)
	case "daily":
		return errNewRecipients(lim)
	case "gone":
		return ErrNotFound
	}
	return errChanged
}

// newRecipientsKey holds the addresses the user added to schedules in the current window,
// scored by when (trimmed at every write, so it holds at most a window's allowance).
func (s *Service) newRecipientsKey(uid string) string {
	return s.st.Key("user", uid, "schedules", "new-recipients")
}
