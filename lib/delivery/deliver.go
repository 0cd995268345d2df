package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// CheckAfter is when check-run first looks at what the sends became.
const CheckAfter = 5 * time.Minute

// CheckRetries: while sends are still queued, check-run fails and QStash retries it with its
// backoff (about two hours in all with CheckAfter).
const CheckRetries = 5

// checkBody is the body of a check-run message.
type checkBody = report.DeliverBody

// Deliver is the deliver-run job, published when the run's report finished: one e-mail per
// recipient through lib/mail, each under the idempotency key (schedule, period, recipient),
// so however often this runs each recipient gets one message; then check-run, later.
func (s *Service) Deliver(ctx context.Context, body []byte) error {
	in, err := decodeBody(body)
	if err != nil {
		return err
	}
	run, sc, err := s.load(ctx, in)
	if run == nil || err != nil {
		return err
	}
	doc, err := s.reports.Get(ctx, in.UserID, run.ReportID)
	switch {
	case errors.Is(err, report.ErrNotFound):
		return s.fail(ctx, in.UserID, run, "report_deleted", "The report was deleted before it could be sent.")
	case err != nil:
		return err
	case doc.Status == report.Failed:
		code, msg := failedReport(doc)
		return s.fail(ctx, in.UserID, run, code, msg)
	case doc.Status != report.Ready && doc.Status != report.Partial:
		return fmt.Errorf("deliver-run %s: report is %s", run.ID, doc.Status) // QStash retries
	}
	return s.send(ctx, in.UserID, sc, run, doc)
}

// failedReport is the run's error code and the owner's explanation for a failed report.
func failedReport(doc *report.Report) (code, message string) {
	if doc.ErrorCode == report.ErrCodeTimedOut {
		return "report_timed_out", "The report could not be generated in time, so nothing was sent."
	}
	return "report_failed", "No source could be read, so nothing was sent."
}

func decodeBody(body []byte) (report.DeliverBody, error) {
	var in report.DeliverBody
	if err := json.Unmarshal(body, &in); err != nil || !ids.Valid(in.RunID) || in.UserID == "" || in.ScheduleID == "" {
		return in, jobs.Permanent(fmt.Errorf("delivery: bad body %q", body))
	}
	return in, nil
}

// load reads the run and its schedule; nil, nil when either is gone (nothing to do).
func (s *Service) load(ctx context.Context, in report.DeliverBody) (*Run, *schedule.Schedule, error) {
	run, err := s.get(ctx, in.UserID, in.ScheduleID, in.RunID)
	if errors.Is(err, errNoRun) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	sc, err := s.schedules.Get(ctx, in.UserID, in.ScheduleID)
	if errors.Is(err, schedule.ErrNotFound) {
		return nil, nil, nil
	}
	return run, sc, err
}

// send queues the run's e-mails, records them on the run and publishes check-run. A
// redelivery queues the same messages (lib/mail keeps the first of each key).
func (s *Service) send(ctx context.Context, uid string, sc *schedule.Schedule, run *Run, doc *report.Report) error {
	rcpts, err := s.recipients(ctx, uid, sc, run, doc)
	if err != nil {
		return err
	}
	if err := s.ensureShare(ctx, uid, run, rcpts); err != nil {
		return err
	}
	for _, r := range rcpts {
		if r.Status == StatusUnsubscribed {
			continue
		}
		if err := s.enqueue(ctx, uid, sc, run, doc, r); err != nil {
			return err
		}
	}
	if _, err := s.update(ctx, uid, sc.ID, run.ID, func(r *Run) error {
		r.Recipients, r.ReportStatus = rcpts, doc.Status
		if r.Status == RunGenerating || r.Status == RunHeld {
			r.Status = RunSending
		}
		return nil
	}); err != nil {
		return err
	}
	return s.publishCheck(ctx, uid, run, 0)
}

func (s *Service) publishCheck(ctx context.Context, uid string, run *Run, resend int) error {
	body := checkBody{UserID: uid, ScheduleID: run.ScheduleID, RunID: run.ID}
	_, err := s.pub.Publish(ctx, JobCheck, body, jobs.Delay(CheckAfter), jobs.Retries(CheckRetries),
		jobs.DeduplicationID("check-"+run.ID+"-"+strconv.Itoa(resend)))
	return err
}

// Recipient statuses beside lib/mail's.
const StatusUnsubscribed = "unsubscribed"

// recipients is who the run goes to: the schedule's recipients (the owner only for a test),
// each with its message key; those who unsubscribed from the schedule are marked and skipped.
// A redelivery reuses the list recorded by the first complete pass.
func (s *Service) recipients(ctx context.Context, uid string, sc *schedule.Schedule, run *Run, doc *report.Report) ([]Recipient, error) {
	if len(run.Recipients) > 0 {
		return run.Recipients, nil
	}
	email, name, err := s.owners.Owner(ctx, uid)
	if err != nil {
		return nil, err
	}
	// The owner's entry is their current address: one changed since it was added must not
	// leave the owner's reports going to the old one.
	resolved := sc.WithOwner(email, name)
	sc = &resolved
	addrs, owner := sc.Recipients, email
	if run.Test {
		addrs = []string{email}
	}
	unsub, err := s.unsubscribedSet(ctx, uid, sc.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Recipient, 0, len(addrs))
	for _, a := range addrs {
		r := Recipient{Email: a, Owner: schedule.AddressKey(a) == schedule.AddressKey(owner) || sc.IsOwner(a), Key: messageKey(sc.ID, run, doc, a, 0)}
		if unsub[schedule.AddressKey(a)] {
			r.Status = StatusUnsubscribed
		}
		out = append(out, r)
	}
	return out, nil
}

// unsubscribedSet is the addresses that left schedule sid, in lib/schedule's canonical
// form: an address unsubscribed as Bob@example.com stays unsubscribed when the owner
// re-adds it as bob@example.com, since the schedule takes both for one mailbox.
func (s *Service) unsubscribedSet(ctx context.Context, uid, sid string) (map[string]bool, error) {
	all, err := s.st.R.HKeys(ctx, s.unsubKey(uid, sid)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	set := make(map[string]bool, len(all))
	for _, a := range all {
		set[schedule.AddressKey(a)] = true
	}
	return set, nil
}

// messageKey is the idempotency key of one recipient's e-mail: (schedule, period, recipient)
// for a ticked run — a tick re-run or a redelivered job finds it taken — and (run, recipient)
// for "Send now", which is asked to send again; a re-send adds its number.
func messageKey(sid string, run *Run, doc *report.Report, addr string, resend int) string {
	sum := sha256.Sum256([]byte(strings.ToLower(addr)))
	scope := sid + ":" + doc.Period.Start.String() + "_" + doc.Period.End.String() + ":" + string(doc.Period.Compare)
	if run.Manual {
		scope = "run:" + run.ID
	}
	k := "report:" + scope + ":" + hex.EncodeToString(sum[:12])
	if resend > 0 {
		k += ":r" + strconv.Itoa(resend)
	}
	return k
}

// ensureShare makes the run's share link, once, when a recipient is not the owner: they
// open the report without an account.
func (s *Service) ensureShare(ctx context.Context, uid string, run *Run, rcpts []Recipient) error {
	if run.ShareURL != "" || run.Test || !hasGuest(rcpts) {
		return nil
	}
	c, err := s.shares.Create(ctx, uid, run.ReportID, share.Options{Client: web.System, Detail: "report e-mail of a schedule", Automatic: true})
	if err != nil {
		return err
	}
	got, err := s.update(ctx, uid, run.ScheduleID, run.ID, func(r *Run) error {
		if r.ShareURL == "" {
			r.ShareURL = c.URL
		}
		return nil
	})
	if err == nil {
		run.ShareURL = got.ShareURL
	}
	return err
}

func hasGuest(rcpts []Recipient) bool {
	for _, r := range rcpts {
		if !r.Owner && r.Status != StatusUnsubscribed {
			return true
		}
	}
	return false
}

// enqueue queues one recipient's e-mail with what its renderer needs; a recipient who is not
// the owner gets an unsubscribe token of their own and, the first time, who added them.
func (s *Service) enqueue(ctx context.Context, uid string, sc *schedule.Schedule, run *Run, doc *report.Report, r Recipient) error {
	token, err := s.newToken(ctx, uid, sc.ID, r.Email)
	if err != nil {
		return err
	}
	data := map[string]string{
		"report_id": doc.ID, "run_id": run.ID, "schedule_id": sc.ID,
		"unsubscribe": s.appURL + UnsubscribePath + "?token=" + token,
	}
	if sc.AttachCSV {
		data["csv"] = "1"
	}
	if run.Test {
		data["test"] = "1"
	}
	if r.Owner {
		data["role"], data["link"] = "owner", s.appURL+"/app/reports/"+doc.ID
		data["reconnect"] = s.appURL + "/app/integrations"
	} else {
		data["role"], data["link"] = "guest", run.ShareURL
		if err := s.introduce(ctx, uid, sc, run, doc, r.Email, data); err != nil {
			return err
		}
	}
	return s.mail.Enqueue(ctx, mail.Message{Key: r.Key, UserID: uid, To: r.Email, From: mail.FromReports, Kind: KindReport, Data: data})
}

// introduce adds "who added you" to a recipient's first report of this schedule. The first
// e-mail is decided once and recorded (introScript): a deliver-run that dies after the
// decision and before its enqueue is retried with the same message, which finds itself
// recorded and carries the line again; lib/mail sends that message once. A re-send of the
// first message (it failed or bounced) carries it too: it is judged by its first key.
func (s *Service) introduce(ctx context.Context, uid string, sc *schedule.Schedule, run *Run, doc *report.Report, addr string, data map[string]string) error {
	keys := []string{s.introKey(uid, sc.ID), s.introducedKey(uid, sc.ID), s.st.IndexKey(uid)}
	first, err := introScript.Run(ctx, s.st.R, keys, schedule.AddressKey(addr), addr, messageKey(sc.ID, run, doc, addr, 0)).Int()
	if err != nil {
		return store.Err(fmt.Errorf("delivery: introduce: %w", err))
	}
	if first == 1 {
		by := sc.Added[addr]
		data["added_by"], data["added_by_name"] = by.By, by.Name
	}
	return nil
}

// introScript claims the introduction of address ARGV[1] for message ARGV[3] in the hash
// KEYS[1] (address → the message that introduces it) unless another message has it, and
// answers 1 when ARGV[3] is that message. KEYS[2] is the set of addresses introduced before
// the decision was recorded (raw, ARGV[2]): they were introduced already. KEYS[3] is the
// user's index.
var introScript = redis.NewScript(`
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[3], KEYS[1])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[3] then return 1 end
return 0
`)
