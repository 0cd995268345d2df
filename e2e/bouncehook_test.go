package e2e

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/mail/bouncehook"
)

// postBounce posts a Resend email.bounced event for to to /api/mail/webhook, signed with
// secret as Svix signs it, dated at.
func postBounce(t *testing.T, id, to, secret string, at time.Time) *devtest.Response {
	t.Helper()
	body := fmt.Sprintf(`{"type":"email.bounced","created_at":%q,"data":{"email_id":"e-%s","to":[%q],"bounce":{"type":"Permanent","subType":"General","message":"550 5.1.1 user unknown"}}}`,
		at.UTC().Format(time.RFC3339), id, to)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	c := devtest.NewClient(t)
	c.Header.Set("Svix-Id", id)
	c.Header.Set("Svix-Timestamp", ts)
	c.Header.Set("Svix-Signature", "v1,"+bouncehook.Sign(key, id, ts, []byte(body)))
	return c.Do("POST", "/api/mail/webhook", body)
}

// A bounce the provider reports after the SMTP 250 marks the address bounced, as a 5xx does.
// Forged and stale deliveries are refused and change nothing; the same delivery again, after
// the address was verified anew, changes nothing either.
func TestDelayedBounceWebhook(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	email := u["email"].(string)
	now := time.Now()
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("not the configured secret"))
	devtest.Want(t, postBounce(t, "msg_forged_"+u["id"].(string), email, other, now), 400, "invalid_signature")
	devtest.Want(t, postBounce(t, "msg_stale_"+u["id"].(string), email, config.DevMailWebhookSecret, now.Add(-10*time.Minute)), 400, "invalid_signature")
	if b := bouncedAddress(t, c); b != "" {
		t.Fatalf("refused deliveries marked %q bounced", b)
	}
	id := "msg_" + u["id"].(string)
	devtest.Want(t, postBounce(t, id, strings.ToUpper(email), config.DevMailWebhookSecret, now), 200, "")
	if b := bouncedAddress(t, c); b != email {
		t.Fatalf("after a signed bounce email_bounced is %q, want %q", b, email)
	}
	// Verified (the signup's link: the mail got through before the bounce report came): the
	// bounce is forgotten, and a replay of the delivery does not bring it back.
	token, _ := mailedToken(t, "verify_email", email)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": token}), 204, "")
	devtest.Want(t, postBounce(t, id, email, config.DevMailWebhookSecret, now), 200, "")
	if b := bouncedAddress(t, c); b != "" {
		t.Fatalf("a replayed delivery marked %q bounced again", b)
	}
}
