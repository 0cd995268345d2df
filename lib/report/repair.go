package report

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
)

// GenerationDeadline is how long after its creation a report can still be generated: the
// lifetime of its generate-report message (every attempt, backoff and wait QStash may take,
// jobs.MessageLifetime). A report still queued or running after it never will be — its job
// died with its function, or its message is in QStash's DLQ — and is failed as timed out.
var GenerationDeadline = jobs.MessageLifetime(Retries)

// ErrCodeTimedOut is the error_code of a report failed because its generation never ended.
const ErrCodeTimedOut = "generation_timed_out"

// timedOutMessage is what the customer reads on such a report.
const timedOutMessage = "This report could not be generated in time. Request it again."

// repairBatch is how many stuck reports one round of RepairStuck handles.
const repairBatch = 100

// inflightKey is the sorted set of reports queued or running, by creation time: written in
// the same transaction or script as each status change, so stuck reports are found without
// scanning.
func (s *Service) inflightKey() string { return s.st.Key("reports", "inflight") }

// repairScript fails a report only while it is still queued or running (the compare-and-set
// finishScript also makes), so a repair never overwrites a finished report and, of several
// repairs at once, one writes. It always drops the report from the in-flight set. It returns
// {1 if it wrote, the status now}.
var repairScript = redisScript(`
local st = redis.call('HGET', KEYS[1], 'status')
local wrote = 0
if (st == 'queued' or st == 'running') and ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'doc', ARGV[2])
  st, wrote = ARGV[3], 1
end
redis.call('ZREM', KEYS[2], ARGV[1])
return {wrote, st or ''}
`)

// RepairStuck fails every report still queued or running GenerationDeadline after its
// creation (the hourly tick calls it) and returns how many it failed.
func (s *Service) RepairStuck(ctx context.Context) (int, error) {
	cutoff := strconv.FormatInt(s.now().Add(-GenerationDeadline).Unix(), 10)
	total := 0
	for round := 0; round < 100; round++ {
		ids, err := s.st.R.ZRangeByScore(ctx, s.inflightKey(), &redis.ZRangeBy{Min: "-inf", Max: cutoff, Count: repairBatch}).Result()
		if err != nil {
			return total, store.Err(fmt.Errorf("report: stuck reports: %w", err))
		}
		_, n, err := s.failStuck(ctx, ids)
		total += n
		if err != nil || len(ids) < repairBatch {
			return total, err
		}
	}
	return total, nil
}

// failStuck fails the given in-flight reports as timed out, in two round trips. It returns
// each report's status afterwards ("" for one that is gone) and how many it failed.
func (s *Service) failStuck(ctx context.Context, ids []string) (statuses []string, failed int, err error) {
	docs, runs, err := s.timedOutDocs(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	if err := s.deliverTimedOut(ctx, runs); err != nil {
		return nil, 0, err
	}
	cmds := make([]*redis.Cmd, len(ids))
	_, err = s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = repairScript.Eval(ctx, p, []string{s.key(id), s.inflightKey()}, id, docs[i], Failed)
		}
		return nil
	})
	if err != nil {
		return nil, 0, store.Err(fmt.Errorf("report: fail stuck reports: %w", err))
	}
	statuses = make([]string, len(ids))
	for i, c := range cmds {
		res, _ := c.Slice()
		if len(res) == 2 {
			statuses[i], _ = res[1].(string)
			if res[0] == int64(1) {
				failed++
			}
		}
	}
	return statuses, failed, nil
}

// timedOutDocs reads each report's document and returns it failed as timed out ("" for a
// report that is gone or cannot be read: the script then only drops it from the set), and
// the deliveries of the schedule runs among them.
func (s *Service) timedOutDocs(ctx context.Context, ids []string) ([]string, []DeliverBody, error) {
	gets := make([]*redis.SliceCmd, len(ids))
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			gets[i] = p.HMGet(ctx, s.key(id), "doc", "uid")
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, nil, store.Err(fmt.Errorf("report: read stuck reports: %w", err))
	}
	out, runs := make([]string, len(ids)), []DeliverBody(nil)
	for i, g := range gets {
		raw, _ := g.Val()[0].(string)
		var doc Report
		if g.Err() != nil || json.Unmarshal([]byte(raw), &doc) != nil {
			continue
		}
		if uid, _ := g.Val()[1].(string); doc.RunID != "" {
			runs = append(runs, DeliverBody{UserID: uid, ScheduleID: doc.ScheduleID, RunID: doc.RunID})
		}
		out[i] = s.timedOut(&doc)
	}
	return out, runs, nil
}

// deliverTimedOut publishes the deliver-run of each schedule run whose report is about to be
// failed as timed out: its generate-report died, so nothing else would, and the run would
// stay generating with the owner never told. Published before the report is failed, so a
// repair that dies in between repairs (and publishes) again; a delivery that comes first
// finds the report unfinished and is retried by QStash until it is failed.
func (s *Service) deliverTimedOut(ctx context.Context, runs []DeliverBody) error {
	for _, b := range runs {
		if _, err := s.pub.Publish(ctx, JobDeliverRun, b, jobs.DeduplicationID("deliver-"+b.RunID), jobs.Retries(Retries)); err != nil {
			return fmt.Errorf("report: publish the delivery of timed-out run %s: %w", b.RunID, err)
		}
	}
	return nil
}

// timedOut is doc failed as timed out, encoded.
func (s *Service) timedOut(doc *Report) string {
	now := s.now().UTC().Truncate(time.Second)
	doc.Status, doc.Error, doc.ErrorCode, doc.CompletedAt = Failed, timedOutMessage, ErrCodeTimedOut, &now
	b, _ := json.Marshal(doc)
	return string(b)
}

// stuck reports whether a report in status was created so long ago that its generation can
// no longer end.
func (s *Service) stuck(status string, createdAt time.Time) bool {
	return !finished(status) && createdAt.Before(s.now().Add(-GenerationDeadline))
}

// repairIfStuck is the read path's repair: a stuck report is failed (once, whoever else
// tries) before it is shown, so the customer never waits on a job that died.
func (s *Service) repairIfStuck(ctx context.Context, r *stored) (*Report, error) {
	if !s.stuck(r.Status, r.Doc.CreatedAt) {
		return &r.Doc, nil
	}
	if _, _, err := s.failStuck(ctx, []string{r.Doc.ID}); err != nil {
		slog.Warn("report: could not fail a stuck report", "report", r.Doc.ID, "err", err)
		return &r.Doc, nil
	}
	again, err := s.load(ctx, r.Doc.ID)
	if err != nil {
		return nil, err
	}
	return &again.Doc, nil
}

// repairListed fails the stuck reports of a listing and shows each with its status after.
func (s *Service) repairListed(ctx context.Context, out []Summary) {
	var ids []string
	var at []int
	for i, r := range out {
		if s.stuck(r.Status, r.CreatedAt) {
			ids, at = append(ids, r.ID), append(at, i)
		}
	}
	if len(ids) == 0 {
		return
	}
	statuses, _, err := s.failStuck(ctx, ids)
	if err != nil {
		slog.Warn("report: could not fail stuck reports", "err", err)
		return
	}
	for j, i := range at {
		if statuses[j] != "" {
			out[i].Status = statuses[j]
		}
	}
}
