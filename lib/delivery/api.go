package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/schedule"
)

// History is GET /api/schedules/runs: the schedule's last KeepRuns runs, newest first, and
// who unsubscribed from it.
type History struct {
	Runs         []*Run           `json:"runs"`
	Unsubscribed []Unsubscription `json:"unsubscribed"`
}

// Runs returns the history of one of the user's schedules (schedule.ErrNotFound otherwise).
func (s *Service) Runs(ctx context.Context, uid, sid string) (*History, error) {
	if _, err := s.schedules.Get(ctx, uid, sid); err != nil {
		return nil, err
	}
	runs, err := s.list(ctx, uid, sid)
	if err != nil {
		return nil, err
	}
	if err := s.resolveStatuses(ctx, uid, runs); err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Status == RunSending && settled(r) {
			r.Status = settledStatus(r) // before check-run has looked
		}
	}
	unsub, err := s.Unsubscribed(ctx, uid, sid)
	return &History{Runs: runs, Unsubscribed: unsub}, err
}

func settled(r *Run) bool {
	for _, x := range r.Recipients {
		if x.Status == mail.StatusQueued || x.Status == mail.StatusSending {
			return false
		}
	}
	return true
}

// SendNowLimit bounds "Send now" per account: each one e-mails every recipient.
var SendNowLimit = ratelimit.Limit{Name: "send-now", Max: 10, Window: time.Hour}

// SendNow starts a run of the user's schedule now (POST /api/schedules/run), paused or not;
// a test goes to the owner only, marked as a test. It returns the run's id; the run itself is
// the run-schedule job.
func (s *Service) SendNow(ctx context.Context, uid, sid string, test bool) (string, error) {
	if _, err := s.schedules.Get(ctx, uid, sid); err != nil {
		return "", err
	}
	if err := ratelimit.New(s.st).Allow(ctx, SendNowLimit, uid); err != nil {
		return "", err
	}
	job := schedule.RunJob{UserID: uid, ScheduleID: sid, DueAt: s.now().UTC().Truncate(time.Second), RunID: ids.New(), Manual: true, Test: test}
	_, err := s.pub.Publish(ctx, JobRun, job, jobs.DeduplicationID("run-"+job.RunID), jobs.Retries(schedule.RunRetries))
	return job.RunID, err
}

// ErrNothingToResend answers a re-send of a run every recipient got.
var ErrNothingToResend = problem.Conflict("nothing_to_resend", "Every recipient of this run got it (or unsubscribed); there is nothing to re-send.")

// ErrNoSuchRun answers a run that is not in the schedule's history.
var ErrNoSuchRun = problem.NotFound("No such run.")

// Resend sends the run's report again to only the recipients whose e-mail failed or bounced
// (POST /api/schedules/resend), under new message keys (the run's re-send number), and
// returns who it queued.
func (s *Service) Resend(ctx context.Context, uid, sid, runID string) ([]string, error) {
	sc, err := s.schedules.Get(ctx, uid, sid)
	if err != nil {
		return nil, err
	}
	run, err := s.get(ctx, uid, sid, runID)
	if errors.Is(err, errNoRun) {
		return nil, ErrNoSuchRun
	}
	if err != nil {
		return nil, err
	}
	if err := s.resolveStatuses(ctx, uid, []*Run{run}); err != nil {
		return nil, err
	}
	again := undelivered(run)
	if len(again) == 0 {
		return nil, ErrNothingToResend
	}
	return again, s.resend(ctx, uid, sc, run, again)
}
