// Package export gathers everything Metriqs stores about a user into one JSON document, for
// the customer's own records (GET /api/account/export). OAuth tokens are never included.
package export

import (
	"context"
	"strconv"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Document is the export.
type Document struct {
	ExportedAt   time.Time             `json:"exported_at"`
	Profile      *account.User         `json:"profile"`
	Sessions     []account.SessionView `json:"sessions"`
	SecurityLog  []audit.Event         `json:"security_log"`
	Integrations []integration.Row     `json:"integrations"`
	Schedules    []schedule.Schedule   `json:"schedules"`
	Reports      []*report.Report      `json:"reports"`
	// Usage counts API requests and generated reports per month ("2026-11:api": 42).
	Usage   map[string]int64 `json:"usage"`
	Billing []billing.Record `json:"billing"`
	// Mail is the e-mail Metriqs queued or sent to the user (notices, links), newest first.
	Mail []Mail `json:"mail"`
	// Devices are the browsers the account signed in from (lib/device), for new-device
	// notices.
	Devices []device.Device `json:"devices"`
}

// Mail is one message as the export shows it: what, to whom, when and what became of it —
// not its key or data, which hold hashes of tokens and links that act on the account.
type Mail struct {
	Kind     string    `json:"kind"`
	To       string    `json:"to"`
	Status   string    `json:"status"`
	QueuedAt time.Time `json:"queued_at"`
	SentAt   time.Time `json:"sent_at,omitzero"`
	Error    string    `json:"error,omitempty"`
}

// Sources are the services the export reads.
type Sources struct {
	Store        *store.Store
	Accounts     *account.Service
	Integrations *integration.Service
	Schedules    *schedule.Service
	Reports      *report.Service
	Billing      *billing.Store
	Now          func() time.Time
}

// Build assembles the export for the signed-in user of sess.
func Build(ctx context.Context, src Sources, sess *session.Session) (*Document, error) {
	userID := sess.UserID
	d := &Document{ExportedAt: src.Now().UTC().Truncate(time.Second), Usage: map[string]int64{}}
	var err error
	if d.Profile, err = src.Accounts.Get(ctx, userID); err != nil {
		return nil, err
	}
	steps := []func() error{
		func() (err error) { d.Sessions, err = src.Accounts.ListSessions(ctx, sess); return err },
		func() (err error) { d.SecurityLog, err = src.Accounts.SecurityLog(ctx, userID); return err },
		func() (err error) { d.Integrations, err = src.Integrations.List(ctx, userID); return err },
		func() (err error) { d.Schedules, err = src.Schedules.List(ctx, userID); return err },
		func() (err error) { d.Billing, err = src.Billing.ForUser(ctx, userID); return err },
		func() error { return usage(ctx, src.Store, userID, d.Usage) },
		func() (err error) { d.Mail, err = mailOf(ctx, src, userID); return err },
		func() (err error) { d.Devices, err = device.New(src.Store, src.Now).List(ctx, userID); return err },
		func() error {
			summaries, err := src.Reports.List(ctx, userID)
			if err != nil {
				return err
			}
			d.Reports = make([]*report.Report, 0, len(summaries))
			for _, s := range summaries {
				r, err := src.Reports.Get(ctx, userID, s.ID)
				if err != nil {
					continue // deleted meanwhile
				}
				d.Reports = append(d.Reports, r)
			}
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func usage(ctx context.Context, st *store.Store, userID string, into map[string]int64) error {
	all, err := st.R.HGetAll(ctx, st.Key("user", userID, "usage")).Result()
	if err != nil {
		return store.Err(err)
	}
	for k, v := range all {
		n, _ := strconv.ParseInt(v, 10, 64)
		into[k] = n
	}
	return nil
}

func mailOf(ctx context.Context, src Sources, userID string) ([]Mail, error) {
	records, err := mail.New(src.Store, nil, src.Now).Sent(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Mail, len(records))
	for i, r := range records {
		out[i] = Mail{Kind: r.Kind, To: r.To, Status: r.Status, QueuedAt: r.QueuedAt, SentAt: r.SentAt, Error: r.Error}
	}
	return out, nil
}
