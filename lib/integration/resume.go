package integration

import (
	"context"
	"log/slog"

	"github.com/trymetriqs/metriqs/lib/jobs"
)

// ResumeJob is the job that makes the user's held schedule runs look again now
// (lib/delivery's run-schedule: a run held while a source needed reconnecting). The name is
// the job's, not an import of lib/delivery, which links schedules and reports and would
// import this package back; lib/delivery's tests check the two agree.
const ResumeJob = "run-schedule"

// ResumeBody is ResumeJob's message.
type ResumeBody struct {
	UserID     string `json:"user_id"`
	ResumeHeld bool   `json:"resume_held"`
}

// resumeHeld asks, once per new connection (gen), for the user's held runs to be sent now
// that a source works again. Best effort: a held run still looks again within the hour.
func (s *Service) resumeHeld(ctx context.Context, userID, gen string) {
	pub, err := s.publisher()
	if err == nil {
		_, err = pub.Publish(ctx, ResumeJob, ResumeBody{UserID: userID, ResumeHeld: true},
			jobs.DeduplicationID("resume-held-"+userID+"-"+gen), jobs.Retries(3))
	}
	if err != nil {
		slog.Error("integration: resume held runs", "user", userID, "err", err)
	}
}
