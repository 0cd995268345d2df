package delivery_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/delivery"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// dying is lib/mail whose first enqueue to one address fails, as a deliver-run that dies
// between deciding who is introduced and queueing the e-mail.
type dying struct {
	*mail.Service
	mu   sync.Mutex
	addr string
	done bool
}

func (d *dying) Enqueue(ctx context.Context, m mail.Message) error {
	d.mu.Lock()
	die := m.To == d.addr && !d.done
	d.done = d.done || die
	d.mu.Unlock()
	if die {
		return errors.New("the function died")
	}
	return d.Service.Enqueue(ctx, m)
}

// withMailer makes w's deliveries enqueue through m.
func (w *world) withMailer(m delivery.Mailer) {
	w.d = delivery.New(delivery.Deps{Store: w.st, Schedules: w.schedules, Reports: w.reports, Mail: m, Pub: w.q,
		Shares: share.New(w.st, w.reports, appURL, w.clk.now), Health: w.health, Owners: owners{}, AppURL: appURL, Now: w.clk.now})
}

func introduced(ms []mail.Outgoing) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Text, "Olivia (owner@example.com) added you") {
			n++
		}
	}
	return n
}

// A deliver-run that dies after deciding the guest's introduction and before queueing the
// e-mail is retried (drain): the guest's first e-mail still says who added them, and no
// later one does.
func TestIntroductionSurvivesACrash(t *testing.T) {
	w := newWorld(t)
	w.withMailer(&dying{Service: w.mail, addr: "client@example.com"})
	w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	w.drain()
	w.tick(monday.AddDate(0, 0, 7), 1)
	w.drain()
	got := w.out.to("client@example.com")
	if len(got) != 2 || introduced(got[:1]) != 1 || introduced(got) != 1 {
		t.Fatalf("%d e-mails, %d of them say who added the guest, the first %v", len(got), introduced(got), introduced(got[:1]) == 1)
	}
}

// Ten deliveries of one deliver-run message at once, and ten of a second run's for the
// same guest: one introduction recorded, one e-mail that carries it.
func TestTogetherOneIntroduction(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.tick(monday, 1)
	ctx := context.Background()
	if _, err := w.d.SendNow(ctx, "u1", sc.ID, false); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 30; round++ {
		var deliver []msg
		for _, m := range w.q.take() {
			if m.job == delivery.JobDeliver {
				deliver = append(deliver, m)
				continue
			}
			_ = w.run(ctx, m)
		}
		for _, m := range deliver {
			storetest.Together(10, func(int) { _ = w.run(ctx, m) })
		}
	}
	w.drain()
	got := w.out.to("client@example.com")
	k := w.st.Key("user", "u1", "schedule", sc.ID, "introductions")
	if len(got) != 2 || introduced(got) != 1 || w.st.R.HLen(ctx, k).Val() != 1 {
		t.Fatalf("%d e-mails, %d say who added the guest, %d introductions stored", len(got), introduced(got), w.st.R.HLen(ctx, k).Val())
	}
}

// Addresses introduced before the decision was recorded (the old set) are not introduced
// again.
func TestIntroducedBeforeStayIntroduced(t *testing.T) {
	w := newWorld(t)
	sc := w.schedule("u1", "client@example.com")
	w.st.R.SAdd(context.Background(), w.st.Key("user", "u1", "schedule", sc.ID, "introduced"), "client@example.com")
	w.tick(monday, 1)
	w.drain()
	if got := w.out.to("client@example.com"); len(got) != 1 || introduced(got) != 0 {
		t.Fatalf("%d e-mails, %d say who added the guest", len(got), introduced(got))
	}
}
