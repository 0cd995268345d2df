package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/deletion"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

func awaitQStash(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := devtest.Server.QStash.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// A user with everything deletes the account: afterwards nothing in Redis mentions them but
// their billing record, the sandbox saw the revocation, old cookies are dead, and the
// address can sign up again.
func TestDeleteAccountRemovesEverything(t *testing.T) {
	c, u := signUp(t)
	userID, email := u["id"].(string), u["email"].(string)
	secret, recovery := enable2FA(t, c)
	connectDemo(t, c)
	awaitReport(t, c, requestReport(t, c, "last_7_days"))
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": 1, "hour": 8}), 201, "")
	devtest.Want(t, c.Do("PATCH", "/api/me", map[string]any{"name": "Ada Byron-Lovelace"}), 200, "")
	access, refresh := storedTokens(t, userID)
	ctx := context.Background()
	bill := billing.New(devtest.Store, time.Now)
	if _, err := bill.Add(ctx, userID, billing.Record{InvoiceID: "in_" + userID[:8], IssuedAt: time.Now(), AmountMinor: 2900,
		Currency: "usd", BillingName: "Ada Byron-Lovelace", Address: "12 Analytical Row, London"}); err != nil {
		t.Fatal(err)
	}
	other := login2FA(t, email, secret)

	// The export holds everything, and no token.
	r := c.Do("GET", "/api/account/export", nil)
	devtest.Want(t, r, 200, "")
	exp := r.Map()
	for _, k := range []string{"profile", "sessions", "security_log", "integrations", "schedules", "reports", "usage", "billing"} {
		if exp[k] == nil {
			t.Errorf("export lacks %s", k)
		}
	}
	if strings.Contains(string(r.Body), access) || strings.Contains(string(r.Body), refresh) || !strings.Contains(string(r.Body), email) {
		t.Fatal("the export leaks a token or lacks the profile")
	}
	if len(exp["reports"].([]any)) != 1 || len(exp["billing"].([]any)) != 1 {
		t.Fatalf("export reports/billing = %v / %v", exp["reports"], exp["billing"])
	}

	// Refused: wrong password, missing code, wrong code. Nothing changes.
	unchangedFor(t, userID, func() {
		devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": "not my password", "code": code(t, secret, time.Now().Add(30*time.Second))}), 403, "invalid_password")
		devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), 400, "invalid_request")
		devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword, "code": "000000"}), 403, "invalid_code")
	})
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")

	old := c.Cookie("mq_session")
	// The authenticator's codes for now and the next step were used above: a recovery code.
	r = c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword, "recovery_code": recovery[0]})
	devtest.Want(t, r, 202, "")
	purgeBy, err := time.Parse(time.RFC3339, r.Map()["purge_by"].(string))
	if err != nil || purgeBy.Before(time.Now().Add(29*24*time.Hour)) || purgeBy.After(time.Now().Add(30*24*time.Hour+time.Minute)) {
		t.Fatalf("purge_by = %v", r.Map()["purge_by"])
	}
	if c.Cookie("mq_session") != nil {
		t.Fatal("the cookie was not cleared")
	}
	// Sessions and tokens go at once, before any job runs.
	c.SetCookie(old)
	devtest.Want(t, c.Do("GET", "/api/me", nil), 401, "unauthenticated")
	devtest.Want(t, other.Do("GET", "/api/me", nil), 401, "unauthenticated")
	if sandboxStatus(t, access) != 401 {
		t.Fatal("the sandbox still honours the token")
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 401, "invalid_credentials")
	// Deleting twice: the session is gone, so is the account.
	devtest.Want(t, c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword}), 401, "unauthenticated")

	awaitQStash(t) // the purge job
	sendDeletionNotice(t, userID)
	svc, err := deletion.Default()
	if err != nil {
		t.Fatal(err)
	}
	left, err := svc.Verify(ctx, userID, email, "Ada Byron-Lovelace", access, refresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range left {
		// Only billing records stay, and the short-lived keys of the OAuth flow that never
		// enter the index (lib/store index.go), expiring within minutes.
		if !l.Billing && (l.Breaks() || l.TTL > 15*time.Minute) {
			t.Errorf("left after the purge: %s (TTL %v)", l.Key, l.TTL)
		}
	}
	if len(left) == 0 {
		t.Fatal("the billing record is gone too")
	}
	ttl := devtest.Store.R.TTL(ctx, bill.RecordKey("in_"+userID[:8])).Val()
	if ttl < time.Until(billing.RetainUntil(time.Now()))-time.Hour {
		t.Fatalf("billing record TTL = %v, want about 7 years", ttl)
	}
	// The address is free again.
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": goodPassword}), 201, "")
}

// login2FA signs in to a 2FA account on a new client.
func login2FA(t *testing.T, email, secret string) *devtest.Client {
	t.Helper()
	c := passwordStep(t, email)
	// The next step's code: the current one may have been used in this test already.
	devtest.Want(t, c.Do("POST", "/api/auth/mfa", map[string]string{"code": code(t, secret, time.Now().Add(30*time.Second))}), 200, "")
	return c
}
