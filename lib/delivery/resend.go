package delivery

import (
	"context"
	"slices"

	"github.com/trymetriqs/metriqs/lib/schedule"
)

// resend records the re-send on the run (new keys for the addresses in again), then queues
// them; a retried request re-queues the same keys.
func (s *Service) resend(ctx context.Context, uid string, sc *schedule.Schedule, run *Run, again []string) error {
	doc, err := s.reports.Get(ctx, uid, run.ReportID)
	if err != nil {
		return err
	}
	before := map[string]string{}
	for _, x := range run.Recipients {
		before[x.Email] = x.Key
	}
	run, err = s.update(ctx, uid, sc.ID, run.ID, func(r *Run) error {
		for _, x := range r.Recipients {
			if slices.Contains(again, x.Email) && before[x.Email] != x.Key {
				return ErrNothingToResend // a re-send at the same moment took them
			}
		}
		r.Resends++
		r.Status = RunSending
		for i, x := range r.Recipients {
			if slices.Contains(again, x.Email) {
				r.Recipients[i].Key = messageKey(sc.ID, r, doc, x.Email, r.Resends)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, x := range run.Recipients {
		if slices.Contains(again, x.Email) {
			if err := s.enqueue(ctx, uid, sc, run, doc, x); err != nil {
				return err
			}
		}
	}
	return s.publishCheck(ctx, uid, run, run.Resends)
}
