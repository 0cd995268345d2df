package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/delivery/reportmail"
	"github.com/trymetriqs/metriqs/lib/mail"
)

// The kinds delivery queues are the ones reportmail renders.
func TestKindsMatch(t *testing.T) {
	if delivery.KindReport != reportmail.KindReport || delivery.KindNotice != reportmail.KindNotice {
		t.Fatal("lib/delivery and lib/delivery/reportmail name the mail kinds differently")
	}
}

var monday = time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)

// A due schedule's run, every job of it delivered twice at once and newest first, with
// three ticks racing, sends exactly one e-mail per recipient; the run history says sent.
func TestEveryJobTwiceSendsOncePerRecipient(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com", "boss@example.com")
	w.tick(monday, 3)
	w.drain()
	w.tick(monday.Add(10*time.Minute), 2) // a re-run of the tick later in the hour
	w.drain()
	for _, addr := range sc.Recipients {
		if got := w.out.to(addr); len(got) != 1 {
			t.Fatalf("%s got %d e-mails, want 1", addr, len(got))
		}
	}
	h := w.history("u1", sc.ID)
	if len(h.Runs) != 1 || h.Runs[0].Status != delivery.RunSent || len(h.Runs[0].Recipients) != 3 {
		t.Fatalf("history = %+v", h.Runs)
	}
	for _, r := range h.Runs[0].Recipients {
		if r.Status != mail.StatusSent {
			t.Fatalf("recipient %+v", r)
		}
	}
	if !h.Runs[0].DueAt.Equal(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)) || h.Runs[0].ReportID != h.Runs[0].ID {
		t.Fatalf("run = %+v", h.Runs[0])
	}
}

// The owner's e-mail links the app and a reconnect page; a guest's links the share link and,
// the first time only, says who added them. Both carry RFC 8058's headers and the CSV.
func TestTheEmailPerRecipient(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	w.drain()
	own, guest := w.out.to(owner)[0], w.out.to("client@example.com")[0]
	if !strings.Contains(own.Subject, "Nov 23") || !strings.Contains(own.HTML, appURL+"/app/reports/") || strings.Contains(own.HTML, "added you") {
		t.Fatalf("owner's e-mail: %s\n%s", own.Subject, own.HTML)
	}
	if !strings.Contains(guest.HTML, appURL+"/r") && !strings.Contains(guest.HTML, "#") {
		t.Fatalf("guest's e-mail has no share link:\n%s", guest.HTML)
	}
	for _, m := range []mail.Outgoing{own, guest} {
		if header(m, "List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || unsubToken(t, m) == "" {
			t.Fatalf("headers = %v", m.Headers)
		}
		if !strings.Contains(m.Text, "Visits: 1,234 (previous 1,000, ▲ 23.4 % better)") || !strings.Contains(m.HTML, "▲ 23.4 % better") {
			t.Fatalf("numbers missing:\n%s\n%s", m.Text, m.HTML)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "text/csv" || !strings.Contains(string(m.Attachments[0].Data), "Visits") {
			t.Fatalf("attachments = %+v", m.Attachments)
		}
		if strings.Contains(strings.ToLower(m.HTML), "<script") || strings.Contains(strings.ToLower(m.HTML), "<svg") || strings.Contains(m.HTML, "<img") {
			t.Fatal("the HTML part has a script, an SVG or an image")
		}
	}
	if !strings.Contains(guest.HTML, "Olivia (owner@example.com) added you") || !strings.Contains(guest.Text, "added you") {
		t.Fatalf("the guest's first e-mail does not say who added them:\n%s", guest.Text)
	}
	w.tick(monday.AddDate(0, 0, 7), 1)
	w.drain()
	if next := w.out.to("client@example.com"); len(next) != 2 || strings.Contains(next[1].Text, "Olivia (owner@example.com) added you") {
		t.Fatalf("the second e-mail: %d sent", len(next))
	}
	_ = sc
}

// One-click unsubscribe stops the schedule for that address at once: the next run skips it
// and shows it unsubscribed; the others still get theirs, and the owner sees who left.
func TestUnsubscribe(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	w.drain()
	tok := unsubToken(t, w.out.to("client@example.com")[0])
	ctx := context.Background()
	if addr, done, err := w.d.Lookup(ctx, tok); err != nil || done || addr != "client@example.com" {
		t.Fatalf("lookup = %q %v %v", addr, done, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := w.d.Unsubscribe(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.d.Unsubscribe(ctx, tok+"x"); err != delivery.ErrBadToken {
		t.Fatalf("a wrong token: %v", err)
	}
	w.tick(monday.AddDate(0, 0, 7), 1)
	w.drain()
	if n := len(w.out.to("client@example.com")); n != 1 {
		t.Fatalf("the unsubscribed address got %d e-mails", n)
	}
	if n := len(w.out.to(owner)); n != 2 {
		t.Fatalf("the owner got %d", n)
	}
	h := w.history("u1", sc.ID)
	if len(h.Unsubscribed) != 1 || h.Unsubscribed[0].Email != "client@example.com" {
		t.Fatalf("unsubscribed = %+v", h.Unsubscribed)
	}
	if r := h.Runs[0].Recipients; r[1].Email != "client@example.com" || r[1].Status != delivery.StatusUnsubscribed {
		t.Fatalf("newest run's recipients = %+v", r)
	}
	for _, k := range storetestKeys(t, w) {
		if strings.Contains(k, "unsub") && !w.indexed("u1", k) {
			t.Fatalf("%s is not in the user's index", k)
		}
	}
}
