package e2e

import (
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// bouncedAddress is GET /api/me's email_bounced for c ("" when none).
func bouncedAddress(t *testing.T, c *devtest.Client) string {
	t.Helper()
	r := c.Do("GET", "/api/me", nil)
	devtest.Want(t, r, 200, "")
	b, _ := r.Map()["user"].(map[string]any)["email_bounced"].(string)
	return b
}

// signUpRefused signs up with an address the mail catcher refuses (550), and waits until the
// account shows that the verification mail bounced.
func signUpRefused(t *testing.T) (*devtest.Client, string, func()) {
	t.Helper()
	email := newEmail()
	accept := devtest.RefuseMail(t, email)
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": goodPassword, "name": "Ada"}), 201, "")
	devtest.Eventually(t, "email_bounced after a 550 to "+email, func() bool { return bouncedAddress(t, c) == email })
	if n := len(devtest.Mails(t, email)); n != 0 {
		t.Fatalf("the catcher holds %d messages to a refused address", n)
	}
	return c, email, accept
}

// A 550 at RCPT TO marks the address bounced; verifying it again (mail gets through now)
// clears the mark.
func TestBounceClearedByVerifyingAgain(t *testing.T) {
	t.Parallel()
	c, email, accept := signUpRefused(t)
	accept()
	devtest.Want(t, c.Do("POST", "/api/account/verify-email", nil), 202, "")
	token, _ := mailedToken(t, "verify_email", email)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": token}), 204, "")
	if b := bouncedAddress(t, c); b != "" {
		t.Fatalf("after verifying again email_bounced is %q", b)
	}
}

// A bounced address replaced through an e-mail change no longer shows as bounced, even though
// the notice to the old address bounces too.
func TestBounceClearedByChangingTheAddress(t *testing.T) {
	t.Parallel()
	c, _, _ := signUpRefused(t)
	next := newEmail()
	devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": next, "password": goodPassword}), 202, "")
	token, _ := mailedToken(t, "email_change_confirm", next)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/account/email/confirm", map[string]string{"token": token}), 204, "")
	awaitQStash(t)
	if b := bouncedAddress(t, c); b != "" {
		t.Fatalf("after the change email_bounced is %q", b)
	}
}
