package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/mail"
	_ "github.com/trymetriqs/metriqs/lib/mail/accountmail" // the renderers, to read a notice as sent
)

const (
	uaChromeMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefoxWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)

// queued is a mail record as stored under the user (lib/mail): the message until it is sent.
type queued struct {
	Key    string            `json:"key"`
	Kind   string            `json:"kind"`
	To     string            `json:"to"`
	Status string            `json:"status"`
	Data   map[string]string `json:"data"`
}

// notices returns the user's security and connection notices by their event (or kind), each
// list in no particular order. Other account mail (verification, H2's kinds) is left out.
func notices(t *testing.T, userID string) map[string][]queued {
	t.Helper()
	all, err := devtest.Store.R.HGetAll(context.Background(), devtest.Store.Key("user", userID, "mail")).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]queued{}
	for _, raw := range all {
		var q queued
		if err := json.Unmarshal([]byte(raw), &q); err != nil {
			t.Fatal(err)
		}
		switch q.Kind {
		case "security_notice":
			out[q.Data["event"]] = append(out[q.Data["event"]], q)
		case "connection_needs_reauth", "connection_restored":
			out[q.Kind] = append(out[q.Kind], q)
		}
	}
	return out
}

// noticeSubjects names the security notices by their subject (lib/mail/accountmail
// security_notice.go): the delivered message carries no record data, only what it says.
var noticeSubjects = map[string]string{
	"Your Metriqs password was changed":     "password_changed",
	"Your Metriqs password was reset":       "password_reset",
	"Two-factor authentication is on":       "totp_enabled",
	"Two-factor authentication is off":      "totp_disabled",
	"New recovery codes were made":          "recovery_codes_regenerated",
	"A recovery code was used":              "recovery_code_used",
	"New sign-in to your Metriqs account":   "new_device_sign_in",
	"Your Metriqs account is being deleted": "account_deletion_requested",
}

// noticeEvent is the event (or connection notice kind) of a delivered message, "" for other
// account mail (verification, H2's kinds).
func noticeEvent(m devtest.Mail) string {
	switch {
	case noticeSubjects[m.Subject] != "":
		return noticeSubjects[m.Subject]
	case strings.HasSuffix(m.Subject, " needs to be reconnected"):
		return "connection_needs_reauth"
	case strings.HasSuffix(m.Subject, " is connected again"):
		return "connection_restored"
	}
	return ""
}

// delivered returns the security and connection notices delivered to the address so far by
// their event, each list newest first.
func delivered(t *testing.T, email string) map[string][]devtest.Mail {
	t.Helper()
	out := map[string][]devtest.Mail{}
	for _, m := range devtest.Mails(t, email) {
		if ev := noticeEvent(m); ev != "" {
			out[ev] = append(out[ev], m)
		}
	}
	return out
}

// eventsOf lists the notices' events, sorted, each as often as it was delivered.
func eventsOf(n map[string][]devtest.Mail) []string {
	var out []string
	for ev, ms := range n {
		for range ms {
			out = append(out, ev)
		}
	}
	slices.Sort(out)
	return out
}

// wantNotices fails unless exactly these notices (sorted) were delivered to the address: it
// waits for them, then drains the jobs queue and checks that nothing else was mailed.
func wantNotices(t *testing.T, email string, want ...string) map[string][]devtest.Mail {
	t.Helper()
	slices.Sort(want)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(25 * time.Millisecond) {
		if got := eventsOf(delivered(t, email)); len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	awaitQStash(t)
	n := delivered(t, email)
	if got := eventsOf(n); !slices.Equal(got, want) {
		t.Fatalf("notices %v, want %v", got, want)
	}
	return n
}

// checkNotice checks what a delivered security notice tells: the event's subject, the time
// in UTC, the client's IP and device, the link to Settings › Security, addressed to the
// account.
// A queued record (the deletion notice before it is sent) is rendered as the send job would.
func checkNotice[M devtest.Mail | queued](t *testing.T, msg M, email string, c *devtest.Client, ua, subject string) devtest.Mail {
	t.Helper()
	var m devtest.Mail
	switch v := any(msg).(type) {
	case devtest.Mail:
		m = v
	case queued:
		m = renderQueued(t, v, c, ua)
	}
	if !strings.Contains(m.To, email) || m.Subject != subject {
		t.Fatalf("notice to %q: %q", m.To, m.Subject)
	}
	var at time.Time
	for _, l := range strings.Split(m.Text, "\n") {
		if v, ok := strings.CutPrefix(l, "Time: "); ok {
			at, _ = time.Parse("Monday 2 January 2006, 15:04 MST", strings.TrimSpace(v))
		}
	}
	if at.IsZero() || time.Since(at) > 2*time.Minute || time.Until(at) > time.Minute || !strings.Contains(m.Text, " UTC") {
		t.Fatalf("notice time %v:\n%s", at, m.Text)
	}
	link := devtest.Server.URL + "/app/settings#security"
	if !strings.Contains(m.Text, "IP address: "+c.IP) || !strings.Contains(m.Text, "Device: "+device.Describe(ua)) ||
		(subject != "Your Metriqs account is being deleted" && !slices.Contains(m.Links, link) && !strings.Contains(m.Text, link)) {
		t.Fatalf("notice %q, want ip %q device %q link %q:\n%s", m.Subject, c.IP, device.Describe(ua), link, m.Text)
	}
	return m
}

// renderQueued checks a queued notice's data and renders it as the send job would.
func renderQueued(t *testing.T, q queued, c *devtest.Client, ua string) devtest.Mail {
	t.Helper()
	at, err := time.Parse(time.RFC3339, q.Data["time"])
	if err != nil || time.Since(at) > time.Minute || at.Location() != time.UTC {
		t.Fatalf("notice %+v", q)
	}
	if q.Data["ip"] != c.IP || q.Data["device"] != device.Describe(ua) {
		t.Fatalf("notice ip/device %q %q, want %q %q", q.Data["ip"], q.Data["device"], c.IP, device.Describe(ua))
	}
	content, err := mail.Render(context.Background(), mail.Message{Key: q.Key, UserID: "u", To: q.To, From: mail.FromAccount, Kind: q.Kind, Data: q.Data})
	if err != nil {
		t.Fatal(err)
	}
	return devtest.Mail{To: q.To, Subject: content.Subject, Text: content.Text, HTML: content.HTML}
}

func signUpAs(t *testing.T, ua string) (*devtest.Client, map[string]any) {
	t.Helper()
	c := devtest.NewClient(t)
	c.Header.Set("User-Agent", ua)
	email := newEmail()
	r := c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": goodPassword, "name": "Ada"})
	devtest.Want(t, r, 201, "")
	return c, r.Map()["user"].(map[string]any)
}

// A password change mails one notice to the account; signup mails none of these.
func TestNoticePasswordChanged(t *testing.T) {
	t.Parallel()
	c, u := signUpAs(t, uaChromeMac)
	email := u["email"].(string)
	wantNotices(t, email)
	devtest.Want(t, c.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}), 204, "")
	n := wantNotices(t, email, "password_changed")
	checkNotice(t, n["password_changed"][0], email, c, uaChromeMac, "Your Metriqs password was changed")
	// A retried request (the old password is wrong now) mails nothing more.
	devtest.Want(t, c.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}), 403, "invalid_password")
	wantNotices(t, email, "password_changed")
}

// 2FA on, new recovery codes, a recovery code used (with how many are left), 2FA off: one
// notice each.
func TestNoticeTwoFactor(t *testing.T) {
	t.Parallel()
	c, u := signUpAs(t, uaChromeMac)
	email := u["email"].(string)
	secret, _ := enable2FA(t, c)
	n := wantNotices(t, email, "totp_enabled")
	checkNotice(t, n["totp_enabled"][0], email, c, uaChromeMac, "Two-factor authentication is on")

	r := c.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword, "code": code(t, secret, time.Now().Add(30*time.Second))})
	devtest.Want(t, r, 200, "")
	var fresh struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(&fresh)
	wantNotices(t, email, "totp_enabled", "recovery_codes_regenerated")

	b := passwordStep(t, u["email"].(string))
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": fresh.RecoveryCodes[0]}), 200, "")
	// b is a browser of its own (another User-Agent): a new device too.
	n = wantNotices(t, email, "totp_enabled", "recovery_codes_regenerated", "recovery_code_used", "new_device_sign_in")
	used := n["recovery_code_used"][0]
	content := checkNotice(t, used, email, b, "devtest/1.0", "A recovery code was used")
	if !strings.Contains(content.Text, "Recovery codes left: 9") {
		t.Fatalf("the notice does not say how many are left:\n%s", content.Text)
	}
	devtest.Want(t, c.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "recovery_code": fresh.RecoveryCodes[1]}), 204, "")
	wantNotices(t, email, "totp_enabled", "recovery_codes_regenerated", "recovery_code_used", "new_device_sign_in", "recovery_code_used", "totp_disabled")
}

// The signup's browser is the first device; the same browser and system with its cookie gone
// is no news; another browser is, once; it is known afterwards.
func TestNoticeNewDevice(t *testing.T) {
	t.Parallel()
	_, u := signUpAs(t, uaChromeMac)
	email := u["email"].(string)
	same := devtest.NewClient(t) // no device cookie, same family
	same.Header.Set("User-Agent", uaChromeMac)
	devtest.Want(t, same.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 200, "")
	wantNotices(t, email)

	other := devtest.NewClient(t)
	other.Header.Set("User-Agent", uaFirefoxWin)
	devtest.Want(t, other.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 200, "")
	n := wantNotices(t, email, "new_device_sign_in")
	checkNotice(t, n["new_device_sign_in"][0], email, other, uaFirefoxWin, "New sign-in to your Metriqs account")
	if ck := other.Cookie("mq_device"); ck == nil || !ck.HttpOnly || !ck.Secure {
		t.Fatalf("device cookie %+v", ck)
	}
	devtest.Want(t, other.Do("POST", "/api/auth/logout", nil), 204, "")
	devtest.Want(t, other.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 200, "")
	wantNotices(t, email, "new_device_sign_in")
}

// The deletion notice is queued before the close, with the purge date, and the purge does
// not remove it before it is sent: it holds off while the notice is unsent, and purges once
// it is settled. With the local catcher the notice arrives although the purge was published
// right after the close.
func TestNoticeDeletionSurvivesClose(t *testing.T) {
	ctx := context.Background()
	c, u := signUpAs(t, uaChromeMac)
	uid, email := u["id"].(string), u["email"].(string)
	r := c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword})
	devtest.Want(t, r, 202, "")
	purgeBy, _ := time.Parse(time.RFC3339, r.Map()["purge_by"].(string))
	if q := notices(t, uid)["account_deletion_requested"]; len(q) == 1 && q[0].Status == mail.StatusQueued {
		checkNotice(t, q[0], email, c, uaChromeMac, "Your Metriqs account is being deleted")
		if q[0].Data["purge_by"] != r.Map()["purge_by"] {
			t.Fatalf("purge date %q, answered %v", q[0].Data["purge_by"], r.Map()["purge_by"])
		}
	}
	got := devtest.WaitMail(t, email, func(m devtest.Mail) bool { return m.Subject == "Your Metriqs account is being deleted" })
	if !strings.Contains(got.Text, purgeBy.Format("2 January 2006")) || !strings.Contains(got.Text, c.IP) {
		t.Fatalf("deletion notice:\n%s", got.Text)
	}
	awaitQStash(t)
	sendDeletionNotice(t, uid) // no-op when the purge already ran after the send
	for _, k := range []string{"", ":mail", ":devices", ":keys"} {
		if devtest.Store.R.Exists(ctx, devtest.Store.Key("user", uid)+k).Val() != 0 {
			t.Errorf("user%s left after the purge", k)
		}
	}
}

// settle marks the user's message key sent, as the send job does once the SMTP server took it
// (lib/mail drops the data then).
func settle(t *testing.T, userID, key string) {
	t.Helper()
	ctx := context.Background()
	hash := devtest.Store.Key("user", userID, "mail")
	var rec map[string]any
	if err := json.Unmarshal([]byte(devtest.Store.R.HGet(ctx, hash, key).Val()), &rec); err != nil {
		t.Fatal(err)
	}
	rec["status"], rec["sent_at"] = mail.StatusSent, time.Now().UTC()
	delete(rec, "data")
	b, _ := json.Marshal(rec)
	devtest.Store.R.HSet(ctx, hash, key, b)
}

// sendDeletionNotice settles the deletion notice of a closed account as the send job does
// when the SMTP server takes it, and runs the purge again: locally no SMTP server takes mail
// until a catcher runs, and the purge waits for that notice (lib/deletion awaitMail).
func sendDeletionNotice(t *testing.T, userID string) {
	t.Helper()
	for _, q := range notices(t, userID)["account_deletion_requested"] {
		if q.Status == mail.StatusQueued || q.Status == mail.StatusSending {
			settle(t, userID, q.Key)
		}
	}
	svc, err := deletion.Default()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"user_id": userID, "tombstone": tombstoneOf(t, userID)})
	if err := svc.Purge(context.Background(), body); err != nil {
		t.Fatal(err)
	}
}

// tombstoneOf finds the deletion's tombstone token (lib/deletion), so the purge removes it too.
func tombstoneOf(t *testing.T, userID string) string {
	t.Helper()
	ctx := context.Background()
	for _, tok := range devtest.Store.R.ZRange(ctx, devtest.Store.Key("accounts", "deleted"), 0, -1).Val() {
		if devtest.Store.R.Get(ctx, devtest.Store.Key("tomb", tok)).Val() == userID {
			return tok
		}
	}
	return ""
}

// The export lists the notices (kind, address, status, times) and the known devices, never a
// message's key or data (links, hashes of tokens); both are in the user's key index.
func TestExportListsNoticesAndDevices(t *testing.T) {
	t.Parallel()
	c, u := signUpAs(t, uaChromeMac)
	uid, email := u["id"].(string), u["email"].(string)
	devtest.Want(t, c.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}), 204, "")
	r := c.Do("GET", "/api/account/export", nil)
	devtest.Want(t, r, 200, "")
	var doc struct {
		Mail    []map[string]any `json:"mail"`
		Devices []map[string]any `json:"devices"`
	}
	r.JSON(&doc)
	i := slices.IndexFunc(doc.Mail, func(m map[string]any) bool { return m["kind"] == "security_notice" })
	if i < 0 || doc.Mail[i]["to"] != email || doc.Mail[i]["status"] == nil || doc.Mail[i]["queued_at"] == nil {
		t.Fatalf("export mail %v", doc.Mail)
	}
	for _, m := range doc.Mail {
		if m["key"] != nil || m["data"] != nil {
			t.Fatalf("the export shows a message's key or data: %v", m)
		}
	}
	if strings.Contains(string(r.Body), "/app/settings#security") || strings.Contains(string(r.Body), c.Cookie("mq_device").Value) {
		t.Fatal("the export holds a notice's link or the device cookie")
	}
	if len(doc.Devices) != 1 || doc.Devices[0]["description"] != "Chrome on macOS" {
		t.Fatalf("export devices %v", doc.Devices)
	}
	ctx := context.Background()
	for _, k := range []string{"mail", "devices"} {
		if !devtest.Store.R.SIsMember(ctx, devtest.Store.IndexKey(uid), devtest.Store.Key("user", uid, k)).Val() {
			t.Errorf("user:%s:%s is not in the user's index", uid, k)
		}
	}
}
