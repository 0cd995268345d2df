package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// mailSubjects are the subjects of the account mail these tests read (lib/mail/accountmail).
var mailSubjects = map[string]string{
	"password_reset":       "Reset your Metriqs password",
	"verify_email":         "Confirm your e-mail address for Metriqs",
	"email_change_confirm": "Confirm your new e-mail address for Metriqs",
	"email_change_notice":  "Your Metriqs e-mail address is being changed",
}

// mails returns the messages of kind delivered to to so far, newest first. To show that
// nothing more was sent, the caller drains the jobs queue first (awaitQStash).
func mails(t *testing.T, to, kind string) []devtest.Mail {
	t.Helper()
	subject, ok := mailSubjects[kind]
	if !ok {
		t.Fatalf("no subject known for %s mail", kind)
	}
	var out []devtest.Mail
	for _, m := range devtest.Mails(t, to) {
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// tokenLink is the link with a token in m, and its token.
func tokenLink(t *testing.T, m devtest.Mail) (string, string) {
	t.Helper()
	for _, l := range m.Links {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		if tok := u.Query().Get("token"); tok != "" {
			return tok, l
		}
	}
	return "", ""
}

// mailedToken is the token of the link in the newest kind message delivered to to (the dev
// server's mail catcher), and the link.
func mailedToken(t *testing.T, kind, to string) (string, string) {
	t.Helper()
	return mailedTokenExcept(t, kind, to, nil)
}

// mailedTokenExcept is mailedToken ignoring the messages whose ID is in seen, and adds the
// one it returns to seen (when not nil): for several such messages to one address.
func mailedTokenExcept(t *testing.T, kind, to string, seen map[string]bool) (string, string) {
	t.Helper()
	subject := mailSubjects[kind]
	m := devtest.WaitMail(t, to, func(m devtest.Mail) bool {
		if m.Subject != subject || seen[m.ID] {
			return false
		}
		tok, _ := tokenLink(t, m)
		return tok != ""
	})
	if seen != nil {
		seen[m.ID] = true
	}
	return tokenLink(t, m)
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
	email := u["email"].(string)
	anon := devtest.NewClient(t)
	known := anon.Do("POST", "/api/auth/password-reset", map[string]string{"email": strings.ToUpper(email)})
	unknown := devtest.NewClient(t).Do("POST", "/api/auth/password-reset", map[string]string{"email": newEmail()})
	devtest.Want(t, known, http.StatusAccepted, "")
	devtest.Want(t, unknown, http.StatusAccepted, "")
	if string(known.Body) != string(unknown.Body) || strings.TrimSpace(string(known.Body)) != "{}" {
		t.Fatalf("answers differ: %q vs %q", known.Body, unknown.Body)
	}
	token, link := mailedToken(t, "password_reset", email)
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
	devtest.WaitMail(t, email, func(m devtest.Mail) bool { return m.Subject == "Your Metriqs password was reset" })
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
	email := u["email"].(string)
	secret, recovery := enable2FA(t, c)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/password-reset", map[string]string{"email": email}), 202, "")
	token, _ := mailedToken(t, "password_reset", email)
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
	email := u["email"].(string)
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
	devtest.WaitMail(t, email, func(m devtest.Mail) bool { return m.Subject == mailSubjects["password_reset"] })
	awaitQStash(t)
	if n := len(mails(t, email, "password_reset")); n < 1 || n > 3 {
		t.Fatalf("%d reset mails for 20 requests; want 1..3", n)
	}
}

// Every token endpoint refuses an unknown, malformed or other-purpose token with
// invalid_token and changes nothing.
func TestBadTokensChangeNothing(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid, email := u["id"].(string), u["email"].(string)
	verify, _ := mailedToken(t, "verify_email", email)
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
	email := u["email"].(string)
	if u["email_verified"] != false {
		t.Fatalf("user at signup: %v", u)
	}
	devtest.Want(t, c.Do("POST", "/api/account/verify-email", nil), 202, "")
	token, link := mailedToken(t, "verify_email", email)
	if !strings.Contains(link, "/verify-email?token=") {
		t.Fatalf("link %q", link)
	}
	// The resend voided the signup link; the newest works once.
	awaitQStash(t)
	var newest string
	for _, m := range mails(t, email, "verify_email") {
		tok, _ := tokenLink(t, m)
		if devtest.NewClient(t).Do("POST", "/api/auth/verify-email", map[string]string{"token": tok}).StatusCode == 204 {
			if newest != "" {
				t.Fatal("two verification links worked")
			}
			newest = tok
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
	token, link := mailedToken(t, "email_change_confirm", next)
	if !strings.Contains(link, "/confirm-email?token=") {
		t.Fatalf("link %q", link)
	}
	devtest.WaitMail(t, old, func(m devtest.Mail) bool { return m.Subject == mailSubjects["email_change_notice"] })
	awaitQStash(t)
	notices := mails(t, old, "email_change_notice")
	if len(notices) != 1 || !strings.Contains(notices[0].Text, next) || !strings.Contains(notices[0].Text, "IP address: "+c.IP) {
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
	seen := map[string]bool{}
	for i := range tokens {
		c, u := signUp(t)
		ids[i] = u["id"].(string)
		devtest.Want(t, c.Do("POST", "/api/account/email", map[string]string{"new_email": target, "password": goodPassword}), 202, "")
		tokens[i], _ = mailedTokenExcept(t, "email_change_confirm", target, seen)
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
