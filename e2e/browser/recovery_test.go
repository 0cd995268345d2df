package browser

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// requestLog keeps the bodies of the requests an interception let through to the server.
type requestLog struct {
	mu     sync.Mutex
	bodies []string
}

// watch lets every request to pattern reach the server, keeping the bodies of those made
// with method.
func (l *requestLog) watch(p *Tab, pattern, method string) {
	p.Intercept(pattern, func(m string, _ *url.URL, body string) *reply {
		if m == method {
			l.mu.Lock()
			l.bodies = append(l.bodies, body)
			l.mu.Unlock()
		}
		return nil
	})
}

// reset forgets the bodies kept so far.
func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bodies = nil
}

// only returns the one body kept, decoded, failing the test if there were more or none.
func (l *requestLog) only(t *testing.T) map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bodies) != 1 {
		t.Fatalf("%d requests were sent, want 1: %q", len(l.bodies), l.bodies)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(l.bodies[0]), &v); err != nil {
		t.Fatalf("request body %q: %v", l.bodies[0], err)
	}
	return v
}

// totpOn asks the API whether the account has 2FA on.
func totpOn(t *testing.T, a *account) bool {
	t.Helper()
	var me struct {
		User struct {
			TOTPEnabled bool `json:"totp_enabled"`
		} `json:"user"`
	}
	r := a.HTTP.Do("GET", "/api/me", nil)
	devtest.Want(t, r, http.StatusOK, "")
	r.JSON(&me)
	return me.User.TOTPEnabled
}

// wantFocus fails the test unless the element with id has the focus.
func wantFocus(t *testing.T, p *Tab, id, after string) {
	t.Helper()
	if focused := Eval[string](p, `document.activeElement.id`); focused != id {
		t.Fatalf("focus is on %q after %s, want #%s", focused, after, id)
	}
}

// A user without their authenticator turns 2FA off from Settings with a recovery code: the
// form switches to a recovery code field (and back), a wrong code shows the API's message and
// changes nothing, the right one turns 2FA off with {password, recovery_code}.
func TestTurnOffTwoFactorWithARecoveryCode(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	_, recovery := enableTwoFactor(t, p, a.Password, "")
	var sent requestLog
	sent.watch(p, "*/api/account/totp", "DELETE")

	// The form starts with the app's code; the toggle swaps the fields and moves the focus.
	p.WaitVisible("#disable-code")
	if n := p.Count("#totp-disable-form #disable-recovery-field:not([hidden])"); n != 0 {
		t.Fatal("the recovery code field shows before it was asked for")
	}
	p.Click("#disable-toggle-recovery")
	p.WaitVisible("#disable-recovery-code")
	wantFocus(t, p, "disable-recovery-code", "choosing a recovery code")
	if got := p.Text("#disable-toggle-recovery"); got != "Use a code from your app instead" {
		t.Fatalf("the toggle reads %q once the recovery code shows", got)
	}
	if !Eval[bool](p, `document.querySelector('#disable-code').disabled && document.querySelector('#disable-code-field').hidden`) {
		t.Fatal("the code field is still in the form")
	}
	p.Click("#disable-toggle-recovery")
	p.WaitVisible("#disable-code")
	wantFocus(t, p, "disable-code", "choosing the app's code again")
	p.Click("#disable-toggle-recovery")
	p.WaitVisible("#disable-recovery-code")
	p.A11y()

	// A wrong recovery code: the API's message, and 2FA stays on.
	p.Fill("#disable-password", a.Password)
	p.Fill("#disable-recovery-code", "aaaa-bbbb-cccc-dddd")
	p.Click("#totp-disable-form button[type=submit]")
	p.WaitVisible("#totp-disable-form .form-error")
	if got := p.Text("#totp-disable-form .form-error"); got != "That code is not correct, or was already used." {
		t.Fatalf("a wrong recovery code shows %q", got)
	}
	if !totpOn(t, a) {
		t.Fatal("a wrong recovery code turned 2FA off")
	}

	// The right one, as the user may type it: upper case, spaces around.
	sent.reset()
	p.Fill("#disable-recovery-code", " "+strings.ToUpper(recovery[3])+" ")
	p.Click("#totp-disable-form button[type=submit]")
	p.WaitVisible("#twofa-status .notice-success")
	p.WaitVisible("#totp-start")
	body := sent.only(t)
	if body["recovery_code"] != strings.ToUpper(recovery[3]) || body["password"] != a.Password {
		t.Fatalf("the page sent %v", body)
	}
	if _, ok := body["code"]; ok {
		t.Fatalf("the page sent a code as well as the recovery code: %v", body)
	}
	if totpOn(t, a) {
		t.Fatal("2FA is still on according to /api/me")
	}
	// The log, refreshed after the change, shows the recovery code and 2FA going off; the delete
	// form no longer asks for a second factor.
	p.WaitVisible("#security-log-table [data-event='totp_disabled']")
	p.WaitVisible("#security-log-table [data-event='recovery_code_used']")
	if n := p.Count("#delete-factor:not([hidden])"); n != 0 {
		t.Fatal("the delete form still asks for a second factor")
	}
}

// A user without their authenticator deletes the account from Settings with a recovery code,
// choosing it from the keyboard: a wrong one changes nothing; with the right one the account
// is closed and every session ends.
func TestDeleteAccountWithARecoveryCode(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adoptNewSession(a)
	_, recovery := enableTwoFactor(t, p, a.Password, "")
	var sent requestLog
	sent.watch(p, "*/api/account/delete", "POST")

	p.Visit("/app/settings")
	p.WaitVisible("#delete-code")
	p.Fill("#delete-password", a.Password)
	p.do(chromedp.WaitVisible(chromedp.CSS("#delete-toggle-recovery")),
		chromedp.Focus(chromedp.CSS("#delete-toggle-recovery")), chromedp.KeyEvent(kb.Enter))
	p.WaitVisible("#delete-recovery-code")
	wantFocus(t, p, "delete-recovery-code", "choosing a recovery code with the keyboard")
	if !Eval[bool](p, `document.querySelector('#delete-code').disabled && document.querySelector('#delete-code-field').hidden`) {
		t.Fatal("the code field is still in the form")
	}
	p.A11y()
	p.Click("#delete-form input[name=confirm]")

	// A wrong recovery code: the API's message, and the account stays.
	p.Fill("#delete-recovery-code", "aaaa-bbbb-cccc-dddd")
	p.Click("#delete-form button[type=submit]")
	p.WaitVisible("#delete-form .form-error")
	if got := p.Text("#delete-form .form-error"); got != "That code is not correct, or was already used." {
		t.Fatalf("a wrong recovery code shows %q", got)
	}
	if !totpOn(t, a) {
		t.Fatal("2FA is off after a refused deletion")
	}

	sent.reset()
	p.Fill("#delete-recovery-code", recovery[5])
	p.Click("#delete-form button[type=submit]")
	p.WaitVisible("#deleted")
	if by := p.Text("#purge-by"); by == "" {
		t.Fatal("no purge date shown")
	}
	body := sent.only(t)
	if body["recovery_code"] != recovery[5] || body["password"] != a.Password {
		t.Fatalf("the page sent %v", body)
	}
	if _, ok := body["code"]; ok {
		t.Fatalf("the page sent a code as well as the recovery code: %v", body)
	}

	// The account is gone: every session has ended, and it cannot sign in again.
	devtest.Want(t, a.HTTP.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}), http.StatusUnauthorized, "invalid_credentials")
	p.Visit("/app")
	p.WaitAt("/login?next=%2Fapp")
}

// The security log names the events of a revocation retried after a disconnect. The live API
// writes them only when a provider is down, so the log is a fixture here.
func TestSecurityLogNamesRevocationEvents(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.Intercept("*/api/account/security-log", func(method string, _ *url.URL, _ string) *reply {
		return jsonReply(http.StatusOK, map[string]any{"events": []map[string]string{
			{"type": "integration_revoked", "at": "2026-11-28T10:05:00Z", "detail": "GitHub: revoked at the provider after the disconnect."},
			{"type": "integration_revocation_failed", "at": "2026-11-28T10:00:00Z", "ip": "203.0.113.9", "detail": "GitHub: the provider did not answer; Metriqs will retry the revocation."},
			{"type": "integration_disconnected", "at": "2026-11-28T10:00:00Z", "ip": "203.0.113.9", "detail": "GitHub (ada): deleted; revocation at the provider is pending."},
		}})
	})
	p.adopt(a)
	p.Visit("/app/settings")
	p.WaitVisible("#security-log-table")
	for typ, want := range map[string]string{
		"integration_revoked":           "Integration access revoked",
		"integration_revocation_failed": "Integration access could not be revoked",
		"integration_disconnected":      "Integration disconnected",
	} {
		if got := p.Text("#security-log-table [data-event='" + typ + "'] .event-type"); got != want {
			t.Errorf("%s reads %q, want %q", typ, got, want)
		}
	}
}
