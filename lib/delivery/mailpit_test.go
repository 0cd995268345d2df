package delivery_test

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/mail/submit"
)

// A scheduled run sent through a real Mailpit (.ci/run: STARTTLS, AUTH; MAILPIT_API,
// MAILPIT_SMTP_URL, MAILPIT_CA) arrives with RFC 8058's headers, both parts with the same
// numbers, and the CSV attached. Skipped without Mailpit, except under CI=1.
func TestMailpitReportEmail(t *testing.T) {
	api, smtpURL := os.Getenv("MAILPIT_API"), os.Getenv("MAILPIT_SMTP_URL")
	if api == "" || smtpURL == "" {
		if os.Getenv("CI") == "1" {
			t.Fatal("CI=1 but MAILPIT_API / MAILPIT_SMTP_URL are not set")
		}
		t.Skip("no Mailpit (MAILPIT_API, MAILPIT_SMTP_URL, MAILPIT_CA)")
	}
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(os.Getenv("MAILPIT_CA")); err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("MAILPIT_CA: %v", err)
	}
	tr, err := submit.New(submit.Settings{URL: smtpURL, Secure: true, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	w.tr = tr
	guest := "client-" + hex.EncodeToString(ids.Random(6)) + "@example.com"
	w.schedule("u1", guest)
	w.tick(monday, 1)
	w.drain()
	var list struct{ Messages []struct{ ID string } }
	pitGet(t, api+"/api/v1/search?query="+guest, &list)
	if len(list.Messages) != 1 {
		t.Fatalf("Mailpit holds %d messages to %s, want 1", len(list.Messages), guest)
	}
	id := list.Messages[0].ID
	var msg struct {
		Subject, Text, HTML string
		Attachments         []struct{ FileName, ContentType string }
	}
	pitGet(t, api+"/api/v1/message/"+id, &msg)
	var headers map[string][]string
	pitGet(t, api+"/api/v1/message/"+id+"/headers", &headers)
	lu := strings.Join(headers["List-Unsubscribe"], "")
	if !strings.HasPrefix(lu, "<"+appURL+"/api/unsubscribe?token=") || strings.Join(headers["List-Unsubscribe-Post"], "") != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers = %v", headers)
	}
	if !strings.Contains(msg.Subject, "Your Metriqs report") || !strings.Contains(msg.Text, "Visits: 1,234 (previous 1,000, ▲ 23.4 % better)") ||
		!strings.Contains(msg.HTML, "<table") || !strings.Contains(msg.HTML, "▲ 23.4 % better") {
		t.Fatalf("message = %s\n%s\n%s", msg.Subject, msg.Text, msg.HTML)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != "text/csv" || !strings.HasSuffix(msg.Attachments[0].FileName, ".csv") {
		t.Fatalf("attachments = %+v", msg.Attachments)
	}
}

func pitGet(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
