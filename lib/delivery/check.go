package delivery

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Check is the check-run job: it reads what the run's e-mails became. While any is still
// queued or being sent it fails, so QStash retries later; once all are settled it records the
// run sent or partly sent and, when some failed or bounced, tells the owner once, with a
// link to the run where "Re-send" sends again to only those.
func (s *Service) Check(ctx context.Context, body []byte) error {
	in, err := decodeBody(body)
	if err != nil {
		return err
	}
	run, _, err := s.load(ctx, in)
	if run == nil || err != nil {
		return err
	}
	if err := s.resolveStatuses(ctx, in.UserID, []*Run{run}); err != nil {
		return err
	}
	if slices.ContainsFunc(run.Recipients, func(r Recipient) bool { return r.Status == mail.StatusQueued || r.Status == mail.StatusSending }) {
		return fmt.Errorf("check-run %s: e-mails still queued", run.ID) // QStash retries
	}
	run, err = s.update(ctx, in.UserID, in.ScheduleID, in.RunID, func(r *Run) error {
		r.Status = settledStatus(run)
		return nil
	})
	if err != nil || run.Status != RunPartlySent {
		return err
	}
	_ = s.resolveStatuses(ctx, in.UserID, []*Run{run})
	return s.notify(ctx, in.UserID, run, noticeProblems, nil)
}

// settledStatus is a run's status once every e-mail is settled.
func settledStatus(run *Run) string {
	if len(undelivered(run)) > 0 {
		return RunPartlySent
	}
	return RunSent
}

// resolveStatuses fills each recipient's status from its mail record (one round trip for
// all runs): the record is the truth of what was sent, the run only names it.
func (s *Service) resolveStatuses(ctx context.Context, uid string, runs []*Run) error {
	var keys []string
	for _, r := range runs {
		for _, x := range r.Recipients {
			if x.Status != StatusUnsubscribed {
				keys = append(keys, x.Key)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	recs, err := s.mail.Records(ctx, uid, keys)
	if err != nil {
		return err
	}
	for _, r := range runs {
		for i, x := range r.Recipients {
			if x.Status == StatusUnsubscribed {
				continue
			}
			rec, ok := recs[x.Key]
			r.Recipients[i].Status, r.Recipients[i].Error = mail.StatusQueued, ""
			if ok {
				r.Recipients[i].Status, r.Recipients[i].Error = rec.Status, rec.Error
			}
		}
	}
	return nil
}

func sortUnsub(list []Unsubscription) {
	sort.Slice(list, func(i, j int) bool { return list[i].At.Before(list[j].At) })
}
