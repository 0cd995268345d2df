package delivery_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/schedule"
)

// store rewrites sc as stored (the harness keeps schedules in the user's hash).
func (w *world) store(uid string, sc *schedule.Schedule) {
	b, _ := json.Marshal(sc)
	w.st.R.HSet(context.Background(), w.st.Key("user", uid, "schedules"), sc.ID, b)
}

// A schedule with attach_csv off sends its reports without the CSV, to everyone; one with
// the default (on) attaches it (TestTheEmailPerRecipient).
func TestNoCSVWhenTurnedOff(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	if !sc.AttachCSV {
		t.Fatal("a new schedule does not attach the CSV")
	}
	sc.AttachCSV = false
	w.store("u1", sc)
	w.tick(monday, 1)
	w.drain()
	for _, addr := range []string{owner, "client@example.com"} {
		got := w.out.to(addr)
		if len(got) != 1 || len(got[0].Attachments) != 0 {
			t.Fatalf("%s: %d e-mails, attachments %+v", addr, len(got), got[0].Attachments)
		}
	}
}

// An address that unsubscribed stays unsubscribed when the owner re-adds it differing only
// in case: the schedule takes both spellings for one mailbox, so must delivery.
func TestUnsubscribeIgnoresCase(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "Client@example.com")
	w.tick(monday, 1)
	w.drain()
	if _, err := w.d.Unsubscribe(context.Background(), unsubToken(t, w.out.to("Client@example.com")[0])); err != nil {
		t.Fatal(err)
	}
	sc.Recipients[1] = "client@example.com"
	sc.Added = map[string]schedule.Added{owner: {By: owner, Owner: true}, "client@example.com": {By: owner}}
	w.store("u1", sc)
	w.tick(monday.AddDate(0, 0, 7), 1)
	w.drain()
	if n := len(w.out.to("client@example.com")); n != 0 {
		t.Fatalf("the unsubscribed address, re-added in lower case, got %d e-mails", n)
	}
	h := w.history("u1", sc.ID)
	if r := h.Runs[0].Recipients; len(r) != 2 || r[1].Status != delivery.StatusUnsubscribed {
		t.Fatalf("newest run's recipients = %+v", r)
	}
}
