package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store"
)

// A held run waits for an hourly look; when the owner reconnects a source, lib/integration
// publishes run-schedule with {user_id, resume_held: true} and every held run of the user
// takes its next look at once instead (docs/delivery.md). The runs waiting are in
// heldKey: run id → the body of their next look.

func (s *Service) heldKey(uid string) string { return s.st.Key("user", uid, "runs", "held") }

// remember records the held run's next look, for resumeHeld.
func (s *Service) remember(ctx context.Context, uid string, next runBody) error {
	b, _ := json.Marshal(next)
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.heldKey(uid), next.RunID, b)
		s.st.Own(ctx, p, uid, s.heldKey(uid))
		return nil
	})
	return store.Err(err)
}

// unhold forgets a run that no longer waits (it makes its report, or failed).
func (s *Service) unhold(ctx context.Context, uid, runID string) error {
	return store.Err(s.st.R.HDel(ctx, s.heldKey(uid), runID).Err())
}

// resumeHeld publishes, now, the next look of every held run of the user. Its dedup id is
// the look's own number with "-resume", so a twice-delivered resume publishes each once;
// the hourly look that follows finds the run past held (or, still held, counts nothing).
func (s *Service) resumeHeld(ctx context.Context, uid string) error {
	all, err := s.st.R.HGetAll(ctx, s.heldKey(uid)).Result()
	if err != nil {
		return store.Err(err)
	}
	for id, raw := range all {
		if err := s.resume(ctx, uid, id, raw); err != nil {
			return err
		}
	}
	return nil
}

// resume publishes one held run's next look; an entry whose run no longer waits is dropped.
func (s *Service) resume(ctx context.Context, uid, id, raw string) error {
	var next runBody
	if err := json.Unmarshal([]byte(raw), &next); err != nil {
		return fmt.Errorf("delivery: held run %s: %w", id, err)
	}
	run, err := s.get(ctx, uid, next.ScheduleID, id)
	if errors.Is(err, errNoRun) || err == nil && run.Status != RunHeld {
		return s.unhold(ctx, uid, id)
	}
	if err != nil {
		return err
	}
	_, err = s.pub.Publish(ctx, JobRun, next, jobs.Retries(schedule.RunRetries),
		jobs.DeduplicationID("run-"+id+"-hold-"+strconv.Itoa(next.Look)+"-resume"))
	return err
}
