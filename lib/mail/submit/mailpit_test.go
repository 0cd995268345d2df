package submit

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// These tests send through a real Mailpit (started by .ci/run with STARTTLS, implicit TLS and
// AUTH on) and read the messages back through its REST API:
//
//	MAILPIT_API=http://127.0.0.1:8025  MAILPIT_SMTP_URL=smtp://user:pass@127.0.0.1:1025
//	MAILPIT_CA=/path/to/cert.pem (the throwaway certificate both listeners present)
//	MAILPIT_SMTPS_URL=smtps://user:pass@127.0.0.1:1465  MAILPIT_SMTPS_API=http://127.0.0.1:8026
//
// (Mailpit's SMTP listener does STARTTLS or implicit TLS, not both: implicit TLS is a second
// instance.)
//
// Without them they skip, except under CI=1, where a missing Mailpit is a failure.
type mailpit struct {
	api, smtpURL, smtpsURL, smtpsAPI string
	pool                             *x509.CertPool
}

func needMailpit(t *testing.T) mailpit {
	t.Helper()
	m := mailpit{api: os.Getenv("MAILPIT_API"), smtpURL: os.Getenv("MAILPIT_SMTP_URL"), smtpsURL: os.Getenv("MAILPIT_SMTPS_URL"), smtpsAPI: os.Getenv("MAILPIT_SMTPS_API")}
	if m.api == "" || m.smtpURL == "" {
		if os.Getenv("CI") == "1" {
			t.Fatal("CI=1 but MAILPIT_API / MAILPIT_SMTP_URL are not set: .ci/run starts Mailpit for these tests")
		}
		t.Skip("no Mailpit: set MAILPIT_API, MAILPIT_SMTP_URL and MAILPIT_CA (.ci/run does) to send through a real one")
	}
	pem, err := os.ReadFile(os.Getenv("MAILPIT_CA"))
	if err != nil {
		t.Fatalf("MAILPIT_CA: %v", err)
	}
	m.pool = x509.NewCertPool()
	if !m.pool.AppendCertsFromPEM(pem) {
		t.Fatal("MAILPIT_CA holds no certificate")
	}
	return m
}

// pitMessage is what Mailpit's /api/v1/message/{ID} says about a message.
type pitMessage struct {
	ID, MessageID, Subject, Text, HTML string
	From                               struct{ Name, Address string }
	To                                 []struct{ Name, Address string }
	Attachments                        []struct{ FileName, ContentType string }
}

// find returns the messages Mailpit holds with Message-ID id (without brackets).
func (m mailpit) find(t *testing.T, id string) []pitMessage {
	t.Helper()
	var out []pitMessage
	for _, s := range m.list(t) {
		if s.MessageID == id {
			var full pitMessage
			m.get(t, "/api/v1/message/"+s.ID, &full)
			out = append(out, full)
		}
	}
	return out
}

// list is every message Mailpit holds, newest first (tests send a handful each).
func (m mailpit) list(t *testing.T) []struct{ ID, MessageID, Subject string } {
	var list struct {
		Messages []struct{ ID, MessageID, Subject string }
	}
	m.get(t, "/api/v1/messages?limit=1000", &list)
	return list.Messages
}

func (m mailpit) get(t *testing.T, path string, v any) {
	t.Helper()
	res, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func uniqueOutgoing() mail.Outgoing {
	o := outgoing()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	o.MessageID = "<" + hex.EncodeToString(b) + "@mail.metriqs.test>"
	return o
}

func (m mailpit) checkArrived(t *testing.T, o mail.Outgoing) {
	t.Helper()
	got := m.find(t, strings.Trim(o.MessageID, "<>"))
	if len(got) != 1 {
		t.Fatalf("Mailpit holds %d messages with Message-ID %s, want 1", len(got), o.MessageID)
	}
	g := got[0]
	if g.From.Address != "account@mail.metriqs.test" || g.From.Name != "Metriqs" || len(g.To) != 1 || g.To[0].Address != "ada@example.com" ||
		g.Subject != o.Subject || strings.TrimSpace(g.Text) != "Hello Ada" || !strings.Contains(g.HTML, "<p>Hello Ada</p>") ||
		len(g.Attachments) != 1 || g.Attachments[0].FileName != "report.csv" || g.Attachments[0].ContentType != "text/csv" {
		t.Fatalf("Mailpit has %+v", g)
	}
}

// STARTTLS (mandatory) and AUTH against Mailpit: what arrives is what was sent.
func TestMailpitSTARTTLS(t *testing.T) {
	m := needMailpit(t)
	tr, err := New(Settings{URL: m.smtpURL, Secure: true, RootCAs: m.pool})
	if err != nil {
		t.Fatal(err)
	}
	o := uniqueOutgoing()
	if _, err := tr.Send(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	m.checkArrived(t, o)
}

// Implicit TLS (smtps://), when .ci/run started Mailpit's second listener for it.
func TestMailpitImplicitTLS(t *testing.T) {
	m := needMailpit(t)
	if m.smtpsURL == "" || m.smtpsAPI == "" {
		t.Skip("MAILPIT_SMTPS_URL / MAILPIT_SMTPS_API not set")
	}
	tr, err := New(Settings{URL: m.smtpsURL, Secure: true, RootCAs: m.pool})
	if err != nil {
		t.Fatal(err)
	}
	o := uniqueOutgoing()
	if _, err := tr.Send(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	m.api = m.smtpsAPI
	m.checkArrived(t, o)
}

// Wrong credentials: Mailpit refuses AUTH, nothing is delivered, and it is not a bounce.
func TestMailpitRefusesBadCredentials(t *testing.T) {
	m := needMailpit(t)
	bad := "smtp://nobody:wrong@" + m.smtpURL[strings.LastIndexByte(m.smtpURL, '@')+1:]
	tr, err := New(Settings{URL: bad, Secure: true, RootCAs: m.pool})
	if err != nil {
		t.Fatal(err)
	}
	o := uniqueOutgoing()
	_, err = tr.Send(context.Background(), o)
	var ref *mail.Refusal
	if err == nil || fmt.Sprint(err) == "" || errorsAs(err, &ref) {
		t.Fatalf("err = %v, want a temporary AUTH failure", err)
	}
	if n := len(m.find(t, strings.Trim(o.MessageID, "<>"))); n != 0 {
		t.Fatalf("%d messages delivered without AUTH", n)
	}
}

type discard struct{}

func (discard) Publish(context.Context, string, any, ...jobs.Option) (string, error) {
	return "msg", nil
}

func init() {
	mail.Register("submit_test", func(_ context.Context, m mail.Message) (mail.Content, error) {
		return mail.Body{Heading: "Hello Ada", Paragraphs: []string{"Test " + m.Data["n"]}}.Render("Grüße " + m.Data["n"]), nil
	})
}

// Twenty deliveries of one queued message released together (real Redis, real Mailpit):
// Mailpit receives it once and the record says sent.
func TestMailpitConcurrentDeliveriesSendOnce(t *testing.T) {
	m := needMailpit(t)
	st := storetest.New(t)
	svc := mail.New(st, discard{}, time.Now)
	tr, err := New(Settings{URL: m.smtpURL, Secure: true, RootCAs: m.pool})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	user, key := "u-"+hex.EncodeToString(b), "test:once"
	ctx := context.Background()
	if err := svc.Enqueue(ctx, mail.Message{Key: key, UserID: user, To: "ada@example.com", From: mail.FromAccount, Kind: "submit_test", Data: map[string]string{"n": user}}); err != nil {
		t.Fatal(err)
	}
	out := mail.Outbox{Transport: tr, From: map[mail.Sender]string{mail.FromAccount: "Metriqs <account@mail.metriqs.test>"}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			<-start
			_ = svc.Deliver(ctx, []byte(`{"user_id":"`+user+`","key":"`+key+`"}`), out)
		})
	}
	close(start)
	wg.Wait()
	recs, err := svc.Sent(ctx, user)
	if err != nil || len(recs) != 1 || recs[0].Status != mail.StatusSent {
		t.Fatalf("records %+v, %v", recs, err)
	}
	var list struct {
		Messages []struct{ ID, Subject string }
	}
	m.get(t, "/api/v1/search?query=subject%3A"+user+"&limit=100", &list)
	if len(list.Messages) != 1 {
		t.Fatalf("Mailpit received %d messages for one logical message", len(list.Messages))
	}
}
