package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

// JobTick is the hourly job that starts due schedules (its cron is in jobs.Schedules).
const JobTick = "tick"

// tickBatch is how many due schedules one round of the tick handles.
const tickBatch = 500

// advance moves a due entry to its next run only if it still has the due time this tick read:
// of two ticks racing over one schedule (a redelivered message, say), exactly one wins.
var advance = redis.NewScript(`
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`)

// TickResult says what a tick did.
type TickResult struct {
	// Started counts run-schedule messages published; Skipped, due schedules found paused.
	Due, Started, Skipped int
	// Repaired counts reports failed as timed out (report.RepairStuck).
	Repaired int
}

// Tick starts every schedule due by now (publishes its run), then fails the reports whose generation can no
// longer end (their job died with its function, or their message is in QStash's DLQ), so no
// report stays queued or running for ever.
func (s *Service) Tick(ctx context.Context) (TickResult, error) {
	res, err := s.startDue(ctx)
	if err != nil {
		return res, err
	}
	res.Repaired, err = s.reports.RepairStuck(ctx)
	return res, err
}

// startDue reads the due entries from the sorted set (work in proportion to the due ones, not
// to all schedules), advances each exactly once, and publishes one run-schedule message per
// schedule it advanced, in one batch per round: the runs, their reports and their mail fan out
// through QStash (lib/delivery), so a tick's work is the due set's pages, whatever runs do.
func (s *Service) startDue(ctx context.Context) (TickResult, error) {
	var res TickResult
	max := strconv.FormatInt(s.now().Unix(), 10)
	for round := 0; round < 1000; round++ {
		due, err := s.st.R.ZRangeByScoreWithScores(ctx, s.dueKey(), &redis.ZRangeBy{Min: "-inf", Max: max, Count: tickBatch}).Result()
		if err != nil {
			return res, store.Err(err)
		}
		res.Due += len(due)
		started, skipped, err := s.runRound(ctx, due)
		res.Started += started
		res.Skipped += skipped
		if err != nil {
			return res, err
		}
		if len(due) < tickBatch {
			break
		}
	}
	return res, nil
}

type dueEntry struct {
	member, userID, id string
	score              float64
	sc                 *Schedule
}

func (s *Service) runRound(ctx context.Context, due []redis.Z) (started, skipped int, err error) {
	entries, err := s.loadDue(ctx, due)
	if err != nil {
		return 0, 0, err
	}
	won := make([]*dueEntry, 0, len(entries))
	cmds := make([]*redis.Cmd, len(entries))
	_, err = s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range entries {
			if e.sc == nil {
				p.ZRem(ctx, s.dueKey(), e.member) // the schedule was deleted
				continue
			}
			next := e.sc.Next(time.Unix(int64(e.score), 0))
			if now := s.now(); !next.After(now) {
				next = e.sc.Next(now) // long outage: skip the missed runs, run once now
			}
			cmds[i] = advance.Eval(ctx, p, []string{s.dueKey()}, e.member, e.score, next.Unix())
		}
		return nil
	})
	if err != nil {
		return 0, 0, store.Err(err)
	}
	var msgs []jobs.Message
	for i, c := range cmds {
		if c == nil || c.Val() != int64(1) {
			continue
		}
		if entries[i].sc.Paused { // paused schedules have no due entry; one paused meanwhile
			skipped++
			continue
		}
		won = append(won, entries[i])
		msgs = append(msgs, runMessage(entries[i]))
	}
	if len(msgs) == 0 {
		return 0, skipped, nil
	}
	if _, err := s.reports.Publisher().PublishBatch(ctx, msgs); err != nil {
		s.rewind(context.WithoutCancel(ctx), won)
		return 0, skipped, fmt.Errorf("tick: %w", err)
	}
	return len(msgs), skipped, nil
}

// loadDue reads the schedules behind due entries in one round trip.
func (s *Service) loadDue(ctx context.Context, due []redis.Z) ([]*dueEntry, error) {
	entries := make([]*dueEntry, len(due))
	gets := make([]*redis.StringCmd, len(due))
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, z := range due {
			m, _ := z.Member.(string)
			uid, id, _ := strings.Cut(m, ":")
			entries[i] = &dueEntry{member: m, userID: uid, id: id, score: z.Score}
			gets[i] = p.HGet(ctx, s.userKey(uid), id)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, store.Err(err)
	}
	for i, g := range gets {
		var sc Schedule
		if g.Err() == nil && json.Unmarshal([]byte(g.Val()), &sc) == nil {
			entries[i].sc = &sc
		}
	}
	return entries, nil
}

// rewind puts advanced entries back to their due time when their reports could not be
// queued, so the tick's retry starts them instead of skipping a run.
func (s *Service) rewind(ctx context.Context, won []*dueEntry) {
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range won {
			p.ZAdd(ctx, s.dueKey(), redis.Z{Score: e.score, Member: e.member})
		}
		return nil
	})
	if err != nil {
		slog.Error("tick: could not rewind schedules; their runs are skipped", "err", err)
	}
}

// RequestFor is the report a run of sc due at due asks for: the last 7 days for a weekly
// schedule, the last calendar month for a monthly one, in the schedule's time zone.
func RequestFor(userID string, sc *Schedule, due time.Time) report.Request {
	loc, err := time.LoadLocation(sc.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	spec := period.Spec{Preset: period.Last7Days}
	if sc.Cadence == Monthly {
		spec = period.Spec{Preset: period.LastMonth}
	}
	return report.Request{UserID: userID, Spec: spec, Location: loc, Compare: sc.Compare, ScheduleID: sc.ID, At: due}
}
