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
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trymetriqs/metriqs/lib/csvreport"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/store"
)

// The kinds rendered here (lib/delivery queues them under the same names; a test there
// checks they match, since importing lib/delivery or lib/report would link schedules,
// integrations and accounts into send-email: 1.4 MB, docs/performance.md).
const (
	KindReport = "scheduled_report"
	KindNotice = "schedule_notice"
)

func init() {
	mail.Register(KindReport, renderReport)
	mail.Register(KindNotice, renderNotice)
}

// doc is what the e-mail shows of a stored report (lib/report's Report, read from its
// record: the owner, the status beside the JSON document).
type doc struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Status   string            `json:"-"`
	Period   period.Period     `json:"period"`
	Sections []metrics.Section `json:"sections"`
}

var stores = lazy.New(store.Default)

var source = stores.Get

// Use makes the renderers read reports from st (tests).
func Use(st *store.Store) { source = func() (*store.Store, error) { return st, nil } }

// errGone: the report was deleted (or is not the message's user's) before the e-mail went.
var errGone = fmt.Errorf("reportmail: the report is gone")

// load reads the user's report from its record (lib/report: report:{id}, fields uid, status, doc).
func load(ctx context.Context, uid, id string) (*doc, error) {
	st, err := source()
	if err != nil {
		return nil, err
	}
	f, err := st.R.HGetAll(ctx, st.Key("report", id)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	if len(f) == 0 || f["uid"] != uid {
		return nil, fmt.Errorf("%w: %s", errGone, id)
	}
	var d doc
	if err := json.Unmarshal([]byte(f["doc"]), &d); err != nil {
		return nil, fmt.Errorf("reportmail: decode report %s: %w", id, err)
	}
	d.Status = f["status"]
	return &d, nil
}

// maxCSV bounds the attachment: past it the e-mail says to download the CSV from the report.
const maxCSV = 2 << 20

// renderReport renders one recipient's scheduled report.
func renderReport(ctx context.Context, m mail.Message) (mail.Content, error) {
	doc, err := load(ctx, m.UserID, m.Data["report_id"])
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
	doc   *doc
	data  map[string]string
	owner bool
}

func (v view) subject() string {
	s := "Your Metriqs report: " + v.doc.Title
	if v.doc.Status == "partial" {
		s += " (some sections missing)"
	}
	if v.data["test"] == "1" {
		s = "[Test] " + s
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
