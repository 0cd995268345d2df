package delivery

import (
	"context"
	"strings"

	"github.com/trymetriqs/metriqs/lib/mail"
)

// What the owner is told about a run (the "notice" of a schedule_notice e-mail).
const (
	noticeHeld        = "held"         // held until a source is reconnected
	noticeSentPartial = "sent_partial" // sent without the sections of sources to reconnect
	noticeFailed      = "failed"       // no report could be made
	noticeProblems    = "problems"     // some recipients' e-mails failed or bounced
)

// notify tells the owner about run, once per (run, notice, re-send): its mail key is taken
// by the first enqueue, whatever redelivers.
func (s *Service) notify(ctx context.Context, uid string, run *Run, notice string, missing []string) error {
	email, _, err := s.owners.Owner(ctx, uid)
	if err != nil {
		return err
	}
	data := map[string]string{
		"notice": notice, "run_id": run.ID, "schedule_id": run.ScheduleID, "error": run.Error,
		"missing":   strings.Join(missing, ","),
		"link":      s.appURL + "/app/schedules?id=" + run.ScheduleID + "&run=" + run.ID,
		"reconnect": s.appURL + "/app/integrations",
	}
	if notice == noticeProblems {
		data["failed"] = strings.Join(undelivered(run), ", ")
	}
	key := "run:" + run.ID + ":" + notice
	if run.Resends > 0 && notice == noticeProblems {
		key += ":r" + itoa(run.Resends)
	}
	return s.mail.Enqueue(ctx, mail.Message{Key: key, UserID: uid, To: email, From: mail.FromReports, Kind: KindNotice, Data: data})
}

// undelivered lists the recipients whose e-mail failed or bounced.
func undelivered(run *Run) []string {
	var out []string
	for _, r := range run.Recipients {
		if r.Status == mail.StatusFailed || r.Status == mail.StatusBounced {
			out = append(out, r.Email)
		}
	}
	return out
}
