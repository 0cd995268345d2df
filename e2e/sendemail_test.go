package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/mail"
)

func init() {
	mail.Register("e2e_mail", func(_ context.Context, m mail.Message) (mail.Content, error) {
		return mail.Body{Heading: "Hello", Paragraphs: []string{"Probe " + m.Data["n"]}, Button: &mail.Link{Label: "Open", URL: m.Data["url"]}}.Render("Grüße " + m.Data["n"]), nil
	})
}

// The whole path over HTTP: Enqueue stores the record and publishes send-email to the local
// QStash, which delivers it to the function, which sends it over SMTP to the local catcher.
// Then the same message delivered 20 more times at once, under new message ids (QStash
// delivering twice, a re-publish after the dedup window): still one e-mail, recorded sent.
func TestSendEmailJobSendsOnce(t *testing.T) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	n := hex.EncodeToString(b)
	user, key, to := "e2e-mail-"+n, "probe:"+n, "probe-"+n+"@example.com"
	ctx := context.Background()
	err := mail.Enqueue(ctx, mail.Message{Key: key, UserID: user, To: to, From: mail.FromAccount, Kind: "e2e_mail",
		Data: map[string]string{"n": n, "url": "http://localhost:3000/settings"}})
	if err != nil {
		t.Fatal(err)
	}
	m := devtest.WaitMail(t, to, nil)
	if m.Subject != "Grüße "+n || !strings.Contains(m.Text, "Probe "+n) || !strings.Contains(m.HTML, "Probe "+n) || len(m.Headers["Message-Id"]) != 1 {
		t.Fatalf("mail = %+v", m)
	}
	// The catcher has the message a moment before the job records it sent: poll, bounded.
	var recs []mail.Record
	for range 200 {
		if recs, err = mail.Sent(ctx, user); err != nil || (len(recs) == 1 && recs[0].Status == mail.StatusSent) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || len(recs) != 1 || recs[0].Status != mail.StatusSent {
		t.Fatalf("records %+v, %v", recs, err)
	}

	body := []byte(fmt.Sprintf(`{"user_id":%q,"key":%q}`, user, key))
	clients := make([]*devtest.Client, 20)
	for i := range clients {
		clients[i] = devtest.NewClient(t) // each its own signed token and message id, as QStash sends
		clients[i].Header.Set("Upstash-Signature", signDelivery(t, "send-email", body, 5*time.Minute))
		clients[i].Header.Set("Upstash-Message-Id", fmt.Sprintf("msg_e2e_mail_%s_%d", n, i))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			<-start
			if r := clients[i].Do("POST", "/api/jobs/send-email", body); r.StatusCode != 200 {
				t.Errorf("delivery %d: %d %s", i, r.StatusCode, r.Body)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := devtest.Mails(t, to); len(got) != 1 {
		t.Fatalf("%d e-mails for one message", len(got))
	}
	t.Cleanup(func() {
		devtest.Store.R.Del(context.Background(), devtest.Store.Key("user", user, "mail"), devtest.Store.IndexKey(user))
	})
}
