package reportmail

import (
	"context"
	"fmt"
	"strings"

	"github.com/trymetriqs/metriqs/lib/mail"
)

// renderNotice renders what the owner is told about a run (lib/delivery notify.go).
func renderNotice(_ context.Context, m mail.Message) (mail.Content, error) {
	d := m.Data
	var named []string
	for _, p := range strings.Split(d["missing"], ",") {
		if n, ok := names[p]; ok {
			p = n
		}
		named = append(named, p)
	}
	missing := strings.Join(named, ", ")
	var subject, body, action, actionURL string
	switch d["notice"] {
	case "held":
		subject = "Your scheduled report is on hold: reconnect " + missing
		body = "Your schedule holds its report while a source needs reconnecting (" + missing + "). Once you reconnect, the report is made and sent within the hour."
		action, actionURL = "Reconnect", d["reconnect"]
	case "sent_partial":
		subject = "Your scheduled report was sent without " + missing
		body = "Your report went out with the sections it could read; " + missing + " needs reconnecting, and the e-mail says so where it is missing."
		action, actionURL = "Reconnect", d["reconnect"]
	case "failed":
		subject = "Your scheduled report could not be made"
		body = "No e-mail was sent for this run. " + d["error"]
		action, actionURL = "See the run", d["link"]
	case "problems":
		subject = "Your scheduled report did not reach everyone"
		body = "These recipients did not get it: " + d["failed"] + ". The run history says why; Re-send sends it again to only them."
		action, actionURL = "See the run and re-send", d["link"]
	default:
		return mail.Content{}, fmt.Errorf("reportmail: unknown notice %q", d["notice"])
	}
	text := body + "\n\n" + action + ": " + actionURL + "\n"
	htm := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>` + esc(subject) + `</title></head><body style="` + stBody + `"><div style="` + stCard + `">` +
		`<h1 style="font-size:18px;margin:0 0 12px 0;">` + esc(subject) + `</h1><p>` + esc(body) + `</p><p>` + link(actionURL, action) + `</p></div></body></html>`
	return mail.Content{Subject: subject, Text: text, HTML: htm}, nil
}
