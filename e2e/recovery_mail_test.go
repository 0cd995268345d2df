package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// mailRecord is the part of a queued message's record these tests read (lib/mail record.go).
type mailRecord struct {
	Key  string            `json:"key"`
	Kind string            `json:"kind"`
	To   string            `json:"to"`
	Data map[string]string `json:"data"`
}

// mails returns the user's queued mail records of kind.
func mails(t *testing.T, userID, kind string) []mailRecord {
	t.Helper()
	raw, err := devtest.Store.R.HGetAll(context.Background(), devtest.Store.Key("user", userID, "mail")).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []mailRecord
	for _, v := range raw {
		var r mailRecord
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			t.Fatal(err)
		}
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// mailedToken is the token of the link in the user's one kind message to to, read from the
// queued message (the local server has no SMTP server to send it to; with the mail catcher
// this becomes devtest.WaitMail and the link in its text).
func mailedToken(t *testing.T, userID, kind, to string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range mails(t, userID, kind) {
			if r.To == to && r.Data["url"] != "" {
				u, err := url.Parse(r.Data["url"])
				if err != nil {
					t.Fatal(err)
				}
				return u.Query().Get("token"), r.Data["url"]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s mail with a link to %s", kind, to)
	return "", ""
}

func auditTypes(t *testing.T, c *devtest.Client) []string {
	t.Helper()
	r := c.Do("GET", "/api/account/security-log", nil)
	devtest.Want(t, r, 200, "")
	var v struct {
		Events []struct{ Type string } `json:"events"`
	}
	r.JSON(&v)
	var types []string
	for _, e := range v.Events {
		types = append(types, e.Type)
	}
	return types
}

// The whole reset over HTTP: the same 202 {} for a known and an unknown address, the link's
// page does not spend the token, a refused password does not either, the reset signs every
// session out and sets no cookie, the new password signs in, the link never works again.
func TestPasswordResetOverHTTP(t *testing.T) {
	t.Parallel()
	owner, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	anon := devtest.NewClient(t)
	known := anon.Do("POST", "/api/auth/password-reset", map[string]string{"email": strings.ToUpper(email)})
	unknown := devtest.NewClient(t).Do("POST", "/api/auth/password-reset", map[string]string{"email": newEmail()})
	devtest.Want(t, known, http.StatusAccepted, "")
	devtest.Want(t, unknown, http.StatusAccepted, "")
	if string(known.Body) != string(unknown.Body) || strings.TrimSpace(string(known.Body)) != "{}" {
		t.Fatalf("answers differ: %q vs %q", known.Body, unknown.Body)
	}
	token, link := mailedToken(t, uid, "password_reset", email)
	if !strings.Contains(link, "/reset-password?token=") || len(token) < 43 {
		t.Fatalf("link %q", link)
	}
	page := anon.Do("GET", "/reset-password?token="+url.QueryEscape(token), nil)
	devtest.Want(t, page, 200, "")
	weak := anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "short"})
	if weak.StatusCode != 422 || weak.ErrorCode() != "weak_password" {
		t.Fatalf("weak password: %d %s", weak.StatusCode, weak.ErrorCode())
	}
	const newPassword = "a brand new passphrase here"
	r := anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "new_password": newPassword})
	devtest.Want(t, r, http.StatusNoContent, "")
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("the reset set cookies: %q", r.Header.Values("Set-Cookie"))
	}
	devtest.Want(t, owner.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	devtest.Want(t, anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "yet another passphrase"}), 400, "invalid_token")
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 401, "invalid_credentials")
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": newPassword}), 200, "")
	if types := auditTypes(t, c); !contains(types, "password_reset") {
		t.Fatalf("security log %v has no password_reset", types)
	}
	if len(mails(t, uid, "security_notice")) == 0 {
		t.Fatal("no security notice queued for the reset")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// With 2FA on, a reset needs a code; a wrong code does not spend the token.
func TestPasswordResetNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	secret, recovery := enable2FA(t, c)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/password-reset", map[string]string{"email": email}), 202, "")
	token, _ := mailedToken(t, uid, "password_reset", email)
	anon := devtest.NewClient(t)
	body := map[string]string{"token": token, "new_password": "a brand new passphrase here"}
	devtest.Want(t, anon.Do("POST", "/api/auth/password-reset/confirm", body), 401, "mfa_required")
	body["code"] = "000000"
	if code(t, secret, time.Now()) == "000000" {
		body["code"] = "111111"
	}
	devtest.Want(t, anon.Do("POST", "/api/auth/password-reset/confirm", body), 401, "invalid_code")
	delete(body, "code")
	body["recovery_code"] = recovery[0]
	devtest.Want(t, anon.Do("POST", "/api/auth/password-reset/confirm", body), 204, "")
	_ = secret
}

// Twenty parallel reset requests for one address queue a bounded number of links; twenty for
// an unknown address get byte-identical answers and queue nothing.
func TestPasswordResetBurstBounded(t *testing.T) {
	t.Parallel()
	_, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	answers := make([]*devtest.Response, 40)
	clients := make([]*devtest.Client, 40)
	for i := range clients {
		clients[i] = devtest.NewClient(t)
	}
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := email
			if i%2 == 1 {
				to = "nobody-" + email
			}
			answers[i] = clients[i].Do("POST", "/api/auth/password-reset", map[string]string{"email": to})
		}()
	}
	wg.Wait()
	for i, r := range answers {
		if r.StatusCode != 202 || strings.TrimSpace(string(r.Body)) != "{}" {
			t.Fatalf("request %d: %d %q", i, r.StatusCode, r.Body)
		}
	}
	if n := len(mails(t, uid, "password_reset")); n < 1 || n > 3 {
		t.Fatalf("%d reset mails for 20 requests; want 1..3", n)
	}
}

// Every token endpoint refuses an unknown, malformed or other-purpose token with
// invalid_token and changes nothing.
func TestBadTokensChangeNothing(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	verify, _ := mailedToken(t, uid, "verify_email", email)
	unchangedFor(t, uid, func() {
		for _, tok := range []string{"", "x", strings.Repeat("A", 43), verify + "x"} {
			devtest.Want(t, c.Do("POST", "/api/auth/verify-email", map[string]string{"token": tok}), 400, "invalid_token")
			devtest.Want(t, c.Do("POST", "/api/account/email/confirm", map[string]string{"token": tok}), 400, "invalid_token")
			devtest.Want(t, c.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": tok, "new_password": "a brand new passphrase"}), 400, "invalid_token")
		}
		// A verification token is not a reset or change token.
		devtest.Want(t, c.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": verify, "new_password": "a brand new passphrase"}), 400, "invalid_token")
		devtest.Want(t, c.Do("POST", "/api/account/email/confirm", map[string]string{"token": verify}), 400, "invalid_token")
	})
}

// Signup mails a verification link; using it verifies the address, once.
func TestVerifyEmailOverHTTP(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	if u["email_verified"] != false {
		t.Fatalf("user at signup: %v", u)
	}
	devtest.Want(t, c.Do("POST", "/api/account/verify-email", nil), 202, "")
	token, link := mailedToken(t, uid, "verify_email", email)
	if !strings.Contains(link, "/verify-email?token=") {
		t.Fatalf("link %q", link)
	}
	// The resend voided the signup link; the newest works once.
	var newest string
	for _, r := range mails(t, uid, "verify_email") {
		tok, _ := url.Parse(r.Data["url"])
		if devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": tok.Query().Get("token")}).StatusCode == 204 {
			if newest != "" {
				t.Fatal("two verification links worked")
			}
			newest = tok.Query().Get("token")
		}
	}
	_ = token
	if newest == "" {
		t.Fatal("no verification link worked")
	}
	me := c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)
	if me["email_verified"] != true {
		t.Fatalf("after verifying: %v", me)
	}
	devtest.Want(t, c.Do("POST", "/api/auth/verify-email", map[string]string{"token": newest}), 400, "invalid_token")
}

// An e-mail change: re-authentication, a link to the new address and a notice to the old; the
// confirmation moves the account to the new address (verified) and frees the old one.
func TestEmailChangeOverHTTP(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid, old := u["id"].(string), u["email"].(string)
	next := newEmail()
	unchangedFor(t, uid, func() {
		devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": next, "password": "wrong password here"}), 403, "invalid_password")
		devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": old, "password": goodPassword}), 400, "invalid_request")
	})
	_, other := signUp(t)
	devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": other["email"].(string), "password": goodPassword}), 409, "email_taken")
	devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": next, "password": goodPassword}), 202, "")
	token, link := mailedToken(t, uid, "email_change_confirm", next)
	if !strings.Contains(link, "/confirm-email?token=") {
		t.Fatalf("link %q", link)
	}
	notices := mails(t, uid, "email_change_notice")
	if len(notices) != 1 || notices[0].To != old || notices[0].Data["new_email"] != next || notices[0].Data["ip"] == "" {
		t.Fatalf("notice to the old address: %+v", notices)
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/account/email/confirm", map[string]string{"token": token}), 204, "")
	me := c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)
	if me["email"] != next || me["email_verified"] != true {
		t.Fatalf("after the change: %v", me)
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": old, "password": goodPassword}), 401, "invalid_credentials")
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": next, "password": goodPassword}), 200, "")
	// The old address is free again.
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": old, "password": goodPassword}), 201, "")
}

// Two accounts confirming a change to one address at once: one 204, one 409 email_taken, and
// Redis holds one lookup key for the address, naming the winner.
func TestEmailChangeRaceOverHTTP(t *testing.T) {
	t.Parallel()
	target := newEmail()
	var tokens [2]string
	var ids [2]string
	for i := range tokens {
		c, u := signUp(t)
		ids[i] = u["id"].(string)
		devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": target, "password": goodPassword}), 202, "")
		tokens[i], _ = mailedToken(t, ids[i], "email_change_confirm", target)
	}
	var answers [2]*devtest.Response
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = devtest.NewClient(t).Do("POST", "/api/account/email/confirm", map[string]string{"token": tokens[i]})
		}()
	}
	wg.Wait()
	wins := 0
	for _, r := range answers {
		switch {
		case r.StatusCode == 204:
			wins++
		case r.StatusCode != 409 || r.ErrorCode() != "email_taken":
			t.Fatalf("confirm: %d %s", r.StatusCode, r.ErrorCode())
		}
	}
	if wins != 1 {
		t.Fatalf("%d confirms won", wins)
	}
	owners := usersWhoseEmail(t, target)
	if len(owners) != 1 {
		t.Fatalf("%d user records hold %s", len(owners), target)
	}
}
