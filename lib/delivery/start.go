package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
)

// HoldRetry is how often a held run looks again whether its sources were reconnected, and
// MaxHolds how many times before it gives up (a week of hourly looks).
const (
	HoldRetry = time.Hour
	MaxHolds  = 7 * 24
)

// runBody is a run-schedule message: the tick's or "Send now"'s, or a held run's next look,
// which carries its number.
type runBody struct {
	schedule.RunJob
	// Look is the number of the held run's look this message is (0 for the first message).
	Look int `json:"hold_look,omitempty"`
	// ResumeHeld asks for the user's held runs to look again now: lib/integration publishes it
	// when a source that needed reconnecting is connected again (integration.ResumeBody).
	ResumeHeld bool `json:"resume_held,omitempty"`
}

// Start is the run-schedule job: the run record, then its report. A paused (or deleted)
// schedule's ticked run does nothing; a run whose sources need reconnecting is held or sent
// labelled, as the schedule says, and the owner is told either way.
func (s *Service) Start(ctx context.Context, body []byte) error {
	in, err := decodeRunBody(body)
	if err != nil {
		return err
	}
	if in.ResumeHeld {
		return s.resumeHeld(ctx, in.UserID)
	}
	job := in.RunJob
	sc, err := s.schedules.Get(ctx, job.UserID, job.ScheduleID)
	if errors.Is(err, schedule.ErrNotFound) {
		return nil
	}
	if err != nil || (sc.Paused && !job.Manual) {
		return err
	}
	if over, err := s.schedules.OverPlan(ctx, job.UserID, sc.ID); err != nil || over && !job.Manual {
		return err // paused by the plan after a downgrade (docs/billing.md): nothing is deleted
	}
	run, err := s.open(ctx, job.UserID, newRun(job, s.now()))
	if err != nil || run.Status != RunGenerating && run.Status != RunHeld {
		return err // a run past its report: a redelivery has nothing to do
	}
	missing, err := s.health.NeedsReconnect(ctx, job.UserID)
	if err != nil {
		return err
	}
	if len(missing) > 0 && sc.OnNeedsReconnect == schedule.Hold && !job.Test {
		return s.hold(ctx, in, run, missing)
	}
	if run.Status == RunHeld {
		if err := s.unhold(ctx, job.UserID, run.ID); err != nil {
			return err
		}
	}
	return s.generate(ctx, job, sc, run, missing)
}

// decodeRunBody reads a run-schedule message: a run's, or a resume of the user's held runs.
func decodeRunBody(body []byte) (runBody, error) {
	var in runBody
	err := json.Unmarshal(body, &in)
	if in.ResumeHeld && in.UserID != "" && err == nil {
		return in, nil
	}
	if err != nil || !ids.Valid(in.RunID) || in.UserID == "" || in.ScheduleID == "" {
		return in, jobs.Permanent(fmt.Errorf("run-schedule: bad body %q", body))
	}
	return in, nil
}

func newRun(job schedule.RunJob, now time.Time) *Run {
	return &Run{ID: job.RunID, ScheduleID: job.ScheduleID, DueAt: job.DueAt, ReportID: job.RunID,
		Status: RunGenerating, Test: job.Test, Manual: job.Manual, Recipients: []Recipient{}, CreatedAt: now.UTC()}
}

// generate makes the run's report (its id is the run's, stored once), whose end publishes
// deliver-run. Nothing connected fails the run and tells the owner.
func (s *Service) generate(ctx context.Context, job schedule.RunJob, sc *schedule.Schedule, run *Run, missing []string) error {
	if _, err := s.update(ctx, job.UserID, job.ScheduleID, run.ID, func(r *Run) error {
		r.Status, r.Missing = RunGenerating, missing
		return nil
	}); err != nil {
		return err
	}
	req := schedule.RequestFor(job.UserID, sc, job.DueAt)
	req.ID, req.RunID = run.ID, run.ID
	_, err := s.reports.CreateOnce(ctx, req)
	if errors.Is(err, report.ErrNoIntegrations) {
		return s.fail(ctx, job.UserID, run, "no_integrations", "No integration is connected, so no report could be made.")
	}
	if err == nil && len(missing) > 0 {
		err = s.notify(ctx, job.UserID, run, noticeSentPartial, missing)
	}
	return err
}

// hold keeps the run until its sources are reconnected: it tells the owner (once), then
// publishes its next look in HoldRetry, up to MaxHolds looks, after which the run fails.
// Only the first delivery of a look counts it and every delivery publishes the same next
// look (its number is the dedup id), so QStash's second delivery of each message neither
// starts a second chain of looks nor makes the week run out twice as fast.
func (s *Service) hold(ctx context.Context, in runBody, run *Run, missing []string) error {
	job := in.RunJob
	run, err := s.update(ctx, job.UserID, job.ScheduleID, run.ID, func(r *Run) error {
		r.Status, r.Missing = RunHeld, missing
		if r.Holds == in.Look {
			r.Holds++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.notify(ctx, job.UserID, run, noticeHeld, missing); err != nil {
		return err
	}
	if run.Holds > MaxHolds {
		return s.fail(ctx, job.UserID, run, "held_too_long", "The run waited a week for its sources to be reconnected.")
	}
	next := runBody{RunJob: job, Look: run.Holds}
	if err := s.remember(ctx, job.UserID, next); err != nil {
		return err
	}
	_, err = s.pub.Publish(ctx, JobRun, next, jobs.Delay(HoldRetry),
		jobs.DeduplicationID("run-"+run.ID+"-hold-"+strconv.Itoa(run.Holds)), jobs.Retries(schedule.RunRetries))
	return err
}

// fail records that the run could not make a report and tells the owner once.
func (s *Service) fail(ctx context.Context, uid string, run *Run, code, msg string) error {
	run, err := s.update(ctx, uid, run.ScheduleID, run.ID, func(r *Run) error {
		r.Status, r.ErrorCode, r.Error = RunFailed, code, msg
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.unhold(ctx, uid, run.ID); err != nil {
		return err
	}
	return s.notify(ctx, uid, run, noticeFailed, nil)
}
