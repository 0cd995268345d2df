// Package reportmail renders the e-mails of lib/delivery in the send-email job, from the
// report as it is stored when the message is sent: the scheduled report (per section the
// KPI table, a line for each section not included, the link to the full report, the CSV
// attached, the one-click unsubscribe headers) and the owner's notices about a run.
//
// The HTML is built with strings and html.EscapeString, not html/template (about 7 MB of
// binary, docs/performance.md): tables and inline styles only, no scripts, SVG or remote
// images, as Gmail, Outlook and Apple Mail render them; the plain-text part has the same
// numbers.
package reportmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/csvreport"
	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

func init() {
	mail.Register(delivery.KindReport, renderReport)
	mail.Register(delivery.KindNotice, renderNotice)
}

// Reports reads a stored report of a user.
type Reports interface {
	Get(ctx context.Context, userID, id string) (*report.Report, error)
}

var reports = lazy.New(func() (Reports, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	return report.New(st, nil, nil, nil, time.Now), nil // reads only
})

var source = reports.Get

// Use makes the renderers read reports from r (tests).
func Use(r Reports) { source = func() (Reports, error) { return r, nil } }

// maxCSV bounds the attachment: past it the e-mail says to download the CSV from the report.
const maxCSV = 2 << 20

// renderReport renders one recipient's scheduled report.
func renderReport(ctx context.Context, m mail.Message) (mail.Content, error) {
	r, err := source()
	if err != nil {
		return mail.Content{}, err
	}
	doc, err := r.Get(ctx, m.UserID, m.Data["report_id"])
	if errors.Is(err, report.ErrNotFound) {
		return mail.Content{}, fmt.Errorf("reportmail: report %s is gone: %w", m.Data["report_id"], err)
	}
	if err != nil {
		return mail.Content{}, err
	}
	v := view{doc: doc, data: m.Data, owner: m.Data["role"] == "owner"}
	c := mail.Content{Subject: v.subject(), Text: v.text(), HTML: v.html(), Headers: unsubscribeHeaders(m.Data["unsubscribe"])}
	if m.Data["csv"] == "1" {
		var buf bytes.Buffer
		if err := csvreport.Write(&buf, csvreport.Input{Period: doc.Period, Sections: doc.Sections}); err == nil && buf.Len() <= maxCSV {
			c.Attachments = []mail.Attachment{{Name: csvreport.FileName(doc.Period), ContentType: "text/csv", Data: buf.Bytes()}}
		}
	}
	return c, nil
}

// unsubscribeHeaders are RFC 8058's one-click unsubscribe: an https URL (http on the local
// server) that a mail provider may POST to with no cookie, and the marker that it may.
func unsubscribeHeaders(url string) map[string]string {
	if url == "" {
		return nil
	}
	return map[string]string{"List-Unsubscribe": "<" + url + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
}

// view is one recipient's e-mail of a report.
type view struct {
	doc   *report.Report
	data  map[string]string
	owner bool
}

func (v view) subject() string {
	s := "Your Metriqs report: " + v.doc.Title
	if v.doc.Status == report.Partial {
		s += " (some sections missing)"
	}
	if v.data["test"] == "1" {
		s = "[Test] " + s
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
