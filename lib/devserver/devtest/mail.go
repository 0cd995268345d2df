package devtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/mailcatcher"
)

// Mail is a message the running server's mail catcher received, as its JSON API gives it:
// From, To and Subject decoded, the text and HTML parts, every header, the links of both
// parts and the attachments.
type Mail struct {
	ID          string              `json:"id"`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Subject     string              `json:"subject"`
	Text        string              `json:"text"`
	HTML        string              `json:"html"`
	Headers     map[string][]string `json:"headers"`
	Links       []string            `json:"links"`
	Attachments []MailAttachment    `json:"attachments"`
}

// MailAttachment is one attachment of a Mail.
type MailAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// mailWait bounds WaitMail: longer than the local QStash's first retries and a send job under
// the race detector, so a test fails on mail that never comes, not on a slow machine.
const mailWait = 20 * time.Second * timeoutScale

// WaitMail waits for a message to to that match accepts (nil: any) and returns the newest
// such message; the test fails if none has arrived by the deadline.
func WaitMail(t testing.TB, to string, match func(Mail) bool) Mail {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		for _, m := range Mails(t, to) {
			if match == nil || match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("devtest: no matching mail to %s within %s; the mailbox for it holds %s", to, mailWait, subjects(Mails(t, to)))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Mails returns what has arrived for to so far, newest first. To show that nothing more was
// sent, call it after the work that could send has finished (the jobs queue is drained).
func Mails(t testing.TB, to string) []Mail {
	t.Helper()
	if Server == nil || Server.Mail == nil {
		t.Fatal("devtest: the test server has no mail catcher (SMTP_URL was set when it started)")
	}
	res, err := http.Get(Server.URL + mailcatcher.Prefix + "/api/messages?to=" + url.QueryEscape(to))
	if err != nil {
		t.Fatalf("devtest: read the mailbox: %v", err)
	}
	defer res.Body.Close()
	var body struct {
		Messages []Mail `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("devtest: read the mailbox: status %d, %v", res.StatusCode, err)
	}
	return body.Messages
}

func subjects(ms []Mail) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

// RefuseMail makes the server's mail catcher refuse mail to addr with a permanent 550 (a
// bounce) until the returned function accepts it again; the test's cleanup accepts it too.
func RefuseMail(t testing.TB, addr string) (accept func()) {
	t.Helper()
	refusal(t, http.MethodPut, addr)
	accept = func() { refusal(t, http.MethodDelete, addr) }
	t.Cleanup(accept)
	return accept
}

func refusal(t testing.TB, method, addr string) {
	t.Helper()
	req, err := http.NewRequest(method, Server.URL+mailcatcher.Prefix+"/api/refusals?address="+url.QueryEscape(addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("devtest: %s refusal of %s: %v", method, addr, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("devtest: %s refusal of %s: status %d", method, addr, res.StatusCode)
	}
}

// Eventually polls cond until it holds, for as long as WaitMail waits for mail; the test
// fails with desc when it never does.
func Eventually(t testing.TB, desc string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("devtest: %s: not within %s", desc, mailWait)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
