// Package delivery sends a schedule's reports to its recipients and keeps the run history.
//
// A run is three QStash jobs, each idempotent, so that a tick over 100,000 due schedules only
// publishes messages (lib/schedule) and every job survives being delivered twice, out of
// order, or dying between two lines:
//
//	run-schedule  Start:   the run record {id, due_at, report_id, status}, the report (its id
//	                       is the run's), or a hold while a source needs reconnecting
//	deliver-run   Deliver: published by the report's end (lib/report); one mail.Enqueue per
//	                       recipient, idempotency key (schedule, period, recipient)
//	check-run     Check:   later, reads what the sends became; a failed run or a bounce tells
//	                       the owner once, with a re-send of only what did not arrive
//
// The e-mail is rendered where it is sent (lib/delivery/reportmail, in send-email).
package delivery

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Jobs of the package (api/jobs/run-schedule, deliver-run, check-run).
const (
	JobRun     = schedule.JobRun
	JobDeliver = report.JobDeliverRun
	JobCheck   = "check-run"
)

// Mail kinds rendered by lib/delivery/reportmail.
const (
	KindReport = "scheduled_report"
	KindNotice = "schedule_notice"
)

// Publisher sends job messages (lib/jobs).
type Publisher interface {
	Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error)
}

// Mailer is what delivery needs of lib/mail.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
	Records(ctx context.Context, userID string, keys []string) (map[string]mail.Record, error)
}

// Sharer makes the share link that recipients who are not the owner open (lib/share).
type Sharer interface {
	Create(ctx context.Context, userID, reportID string, opts share.Options) (share.Created, error)
}

// Health says which of the user's sources need reconnecting (lib/integration).
type Health interface {
	NeedsReconnect(ctx context.Context, userID string) ([]string, error)
}

// Owners gives the account's own address and name (lib/account).
type Owners interface {
	Owner(ctx context.Context, userID string) (email, name string, err error)
}

// Service runs schedules' deliveries.
type Service struct {
	st        *store.Store
	schedules *schedule.Service
	reports   *report.Service
	mail      Mailer
	pub       Publisher
	shares    Sharer
	health    Health
	owners    Owners
	appURL    string
	now       func() time.Time
}

// Deps are a Service's dependencies.
type Deps struct {
	Store     *store.Store
	Schedules *schedule.Service
	Reports   *report.Service
	Mail      Mailer
	Pub       Publisher
	Shares    Sharer
	Health    Health
	Owners    Owners
	AppURL    string
	Now       func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{st: d.Store, schedules: d.Schedules, reports: d.Reports, mail: d.Mail, pub: d.Pub,
		shares: d.Shares, health: d.Health, owners: d.Owners, appURL: d.AppURL, now: d.Now}
}

// Keys of a schedule's runs and unsubscriptions; all in the user's key index.
func (s *Service) runsKey(uid, sid string) string { return s.st.Key("user", uid, "runs", sid) }
func (s *Service) orderKey(uid, sid string) string {
	return s.st.Key("user", uid, "runs", sid, "order")
}
func (s *Service) unsubKey(uid, sid string) string {
	return s.st.Key("user", uid, "schedule", sid, "unsubscribed")
}

// introKey is the hash address → the message that introduced it ("who added you");
// introducedKey the set of addresses introduced before that was recorded (read only).
func (s *Service) introKey(uid, sid string) string {
	return s.st.Key("user", uid, "schedule", sid, "introductions")
}
func (s *Service) introducedKey(uid, sid string) string {
	return s.st.Key("user", uid, "schedule", sid, "introduced")
}
func (s *Service) tokenKey(hash string) string { return s.st.Key("unsub", hash) }
