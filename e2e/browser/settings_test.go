package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// enableTwoFactor turns 2FA on from Settings › Security — the password first, then the secret
// the page shows — and returns a code source for it and the recovery codes the page showed
// once. With shot, the page is saved as that screenshot while the QR code shows.
func enableTwoFactor(t *testing.T, p *Tab, password, shot string) (*codes, []string) {
	t.Helper()
	p.Visit("/app/settings")
	p.WaitVisible("#security-log-table")
	p.Click("#totp-start")
	p.WaitVisible("#totp-start-password")
	wantFocus(t, p, "totp-start-password", "starting 2FA set-up")
	p.Fill("#totp-start-password", password)
	p.Click("#totp-start-form button[type=submit]")
	p.WaitVisible("#totp-secret")
	if shot != "" {
		p.Screenshot(shot, true)
	}
	if n := p.Count("#twofa img.qr[src^='data:image/png;base64,']"); n != 1 {
		t.Fatalf("the enrolment shows %d QR code images", n)
	}
	c := &codes{t: t, secret: stripSpaces(p.Text("#totp-secret"))}
	if len(c.secret) < 16 {
		t.Fatalf("secret on the page = %q", c.secret)
	}
	p.Fill("#totp-code", c.next())
	p.Click("#totp-confirm-form button[type=submit]")
	p.WaitVisible("#recovery-codes")
	recovery := Eval[[]string](p, `Array.from(document.querySelectorAll('#recovery-codes .codes li'), (li) => li.textContent)`)
	if len(recovery) != 10 {
		t.Fatalf("the page shows %d recovery codes: %v", len(recovery), recovery)
	}
	p.Click("#codes-done")
	p.WaitVisible("#totp-on")
	return c, recovery
}

// Two-factor sign-in: enrol from Settings with a code computed here from the secret on the
// page, sign out, sign in with a code, then once more with a recovery code.
func TestTwoFactorFromSettingsThenSignInWithACode(t *testing.T) {
	t.Parallel()
	a := newAccountAs(t, "hedy@example.com")
	p := openTab(t)
	p.adoptNewSession(a)
	totpCodes, recovery := enableTwoFactor(t, p, a.Password, "settings")
	p.A11y()

	// Two form sign-ins follow, each with a 2FA step: they are the subject, so they spend the
	// suite's /login budget (see SignIn); the session to reach Settings did not.
	p.SignOut()
	p.Fill("#email", a.Email)
	p.Fill("#password", a.Password)
	p.Click("#login-form button[type=submit]")
	p.WaitVisible("#mfa-step")
	if focused := Eval[string](p, `document.activeElement.id`); focused != "code" {
		t.Fatalf("focus is on %q after the password step, want the code input", focused)
	}
	// A wrong code shows the API's message and keeps the step.
	p.Fill("#code", "000000")
	p.Click("#mfa-form button[type=submit]")
	p.WaitVisible("#mfa-form .form-error, #mfa-form .field-error")
	p.Fill("#code", totpCodes.next())
	p.Click("#mfa-form button[type=submit]")
	p.WaitAt("/app")

	p.SignOut()
	p.Fill("#email", a.Email)
	p.Fill("#password", a.Password)
	p.Click("#login-form button[type=submit]")
	p.WaitVisible("#mfa-step")
	p.Click("#toggle-recovery")
	p.Fill("#recovery_code", recovery[0])
	p.Click("#mfa-form button[type=submit]")
	p.WaitAt("/app")

	// The API agrees that 2FA is on.
	var me struct {
		User struct {
			TOTPEnabled bool `json:"totp_enabled"`
		} `json:"user"`
	}
	a.HTTP.Do("GET", "/api/me", nil).JSON(&me)
	if !me.User.TOTPEnabled {
		t.Fatal("2FA is not on according to /api/me")
	}
	p.Visit("/app/settings")
	p.WaitFor("the security log", `document.querySelector('#security-log-table [data-event="recovery_code_used"]')`)
	p.WaitVisible("#security-log-table [data-event='totp_enabled']")

	// New recovery codes need the password and a code; the old ones stop working.
	p.Fill("#recovery-password", a.Password)
	p.Fill("#recovery-code", totpCodes.next())
	p.Click("#recovery-form button[type=submit]")
	p.WaitVisible("#recovery-codes")
	fresh := Eval[[]string](p, `Array.from(document.querySelectorAll('#recovery-codes .codes li'), (li) => li.textContent)`)
	if len(fresh) != 10 || fresh[0] == recovery[0] {
		t.Fatalf("regenerated codes = %v", fresh)
	}
	p.Click("#codes-done")

	// Turning 2FA off needs the password and a code.
	p.Fill("#disable-password", a.Password)
	p.Fill("#disable-code", totpCodes.next())
	p.Click("#totp-disable-form button[type=submit]")
	p.WaitVisible("#totp-start")
}

// Settings › Security lists the sessions; "Sign out" ends another one, and "Sign out all
// other sessions" ends the rest.
func TestRevokeAnotherSession(t *testing.T) {
	t.Parallel()
	a := newAccount(t) // a.HTTP holds a session of its own
	p := openTab(t)
	p.adoptNewSession(a)
	p.Visit("/app/settings")
	p.WaitFor("two sessions", `document.querySelectorAll('#sessions-table tbody tr').length === 2`)
	if n := p.Count("#sessions-table tr[data-current='true']"); n != 1 {
		t.Fatalf("%d sessions are marked as this device", n)
	}
	p.Click("#sessions-table tr[data-current='false'] button")
	p.WaitFor("one session left", `document.querySelectorAll('#sessions-table tbody tr').length === 1`)
	devtest.Want(t, a.HTTP.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")

	// Two more elsewhere, then all others at once.
	others := []*devtest.Client{devtest.NewClient(t), devtest.NewClient(t)}
	for _, c := range others {
		devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}), http.StatusOK, "")
	}
	p.Visit("/app/settings")
	p.WaitFor("three sessions", `document.querySelectorAll('#sessions-table tbody tr').length === 3`)
	p.Click("#revoke-others")
	p.WaitFor("one session left", `document.querySelectorAll('#sessions-table tbody tr').length === 1`)
	for _, c := range others {
		devtest.Want(t, c.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	}
	// This browser is still signed in.
	p.Visit("/app/settings")
	p.WaitVisible("#sessions-table")
	p.WaitVisible("#security-log-table [data-event='other_sessions_revoked']")
}

// Changing the password: a wrong current password shows the API's message beside the field;
// the right one changes it, signs out the other sessions, and the new password works.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adoptNewSession(a)
	p.Visit("/app/settings")

	p.Fill("#current_password", "this is not it at all")
	p.Fill("#new_password", "a brand new passphrase")
	p.Click("#password-form button[type=submit]")
	p.WaitVisible("#password-form .field-error, #password-form .form-error")

	p.Fill("#current_password", a.Password)
	p.Fill("#new_password", "a brand new passphrase")
	p.Click("#password-form button[type=submit]")
	p.WaitVisible("#password-status .notice-success")
	devtest.Want(t, a.HTTP.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")

	p.SignOut()
	// The one form sign-in here (of the suite's 30 from 127.0.0.1, see SignIn): the new
	// password works on the sign-in page.
	p.SignIn(a.Email, "a brand new passphrase")
}

// The security log shows what happened, newest first, in words.
func TestSecurityLogShowsEvents(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": "wrong password here"}), http.StatusUnauthorized, "invalid_credentials")
	p := openTab(t)
	p.adoptNewSession(a)
	p.Visit("/app/settings")
	p.WaitVisible("#security-log-table")
	first := p.Text("#security-log-table tbody tr:first-child .event-type")
	if first != "Signed in" {
		t.Fatalf("the newest event reads %q, want the sign-in just made", first)
	}
	p.WaitVisible("#security-log-table [data-event='sign_in_failed']")
	if got := p.Text("#security-log-table [data-event='sign_in_failed'] .event-type"); got != "Failed sign-in attempt" {
		t.Fatalf("a failed sign-in reads %q", got)
	}
	p.A11y()
}

// Profile: the name and time zone are saved with PATCH /api/me and shown again on reload.
func TestProfileNameAndTimeZone(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.Visit("/app/settings")
	p.WaitFor("the profile", `document.querySelector('#profile-name').value.startsWith('Browser')`)
	p.Fill("#profile-name", "Ada King")
	p.Select("#profile-timezone", "Europe/London")
	p.Click("#profile-form button[type=submit]")
	p.WaitFor("saved", `document.querySelector('#profile-status').textContent === 'Saved.'`)
	p.Visit("/app/settings")
	p.WaitFor("the saved profile", `document.querySelector('#profile-name').value === 'Ada King' && document.querySelector('#profile-timezone').value === 'Europe/London'`)
	var me struct {
		User struct {
			Name     string `json:"name"`
			TimeZone string `json:"timezone"`
		} `json:"user"`
	}
	a.HTTP.Do("GET", "/api/me", nil).JSON(&me)
	if me.User.Name != "Ada King" || me.User.TimeZone != "Europe/London" {
		t.Fatalf("/api/me = %+v", me.User)
	}
	if got := p.Text("[data-user-email]"); !strings.EqualFold(got, a.Email) {
		t.Fatalf("header shows %q", got)
	}
}
