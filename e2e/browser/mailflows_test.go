package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// The subjects of the account mail these tests read (lib/mail/accountmail).
const (
	subjectReset        = "Reset your Metriqs password"
	subjectResetDone    = "Your Metriqs password was reset"
	subjectVerify       = "Confirm your e-mail address for Metriqs"
	subjectChange       = "Confirm your new e-mail address for Metriqs"
	subjectChangeNotice = "Your Metriqs e-mail address is being changed"
)

// mailWithSubject waits for the newest message to to with subject, in the local mailbox.
func mailWithSubject(t *testing.T, to, subject string) devtest.Mail {
	t.Helper()
	return devtest.WaitMail(t, to, func(m devtest.Mail) bool { return m.Subject == subject })
}

// followMail opens m on the local mailbox page, as a developer would, clicks its link to
// path in the app, and waits for that page.
func (p *Tab) followMail(m devtest.Mail, path string) {
	p.t.Helper()
	p.Visit("/_dev/mail/m/" + m.ID)
	p.WaitVisible(`iframe[title="HTML part"]`)
	p.Click(`ul.links a[href^="` + devtest.Server.URL + path + `?"]`)
	p.WaitPath(path, func(s string) bool { return s == path || strings.HasPrefix(s, path+"?") })
}

// waitNotice waits until the page's notice says want.
func (p *Tab) waitNotice(want string) {
	p.t.Helper()
	p.WaitFor("the notice "+want, fmt.Sprintf(`(document.querySelector('#page-notice')?.textContent || '').includes(%q)`, want))
}

// Password reset through the pages: "Forgot password?" on the sign-in page, the link from
// the local mailbox opens the reset page without spending it (a GET), the form spends it, every
// session of the account is signed out, the new password signs in (the old one does not) and
// the link never works again.
func TestPasswordResetThroughTheMailbox(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	devtest.Want(t, a.HTTP.Do("GET", "/api/me", nil), http.StatusOK, "")
	p := openTab(t)
	p.Visit("/login")
	p.Click("#forgot-link")
	p.WaitAt("/forgot-password")
	p.Fill("#email", a.Email)
	p.Click("#forgot-form button[type=submit]")
	p.WaitFor("the request's answer", `(document.querySelector('#page-notice')?.textContent || '').trim().length > 0`)

	m := mailWithSubject(t, a.Email, subjectReset)
	p.followMail(m, "/reset-password")
	p.WaitVisible("#reset-form")
	const newPassword = "a brand new passphrase for ada"
	p.Fill("#new_password", newPassword)
	p.Click("#reset-form button[type=submit]")
	p.waitNotice("Your password is changed")

	devtest.Want(t, a.HTTP.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	mailWithSubject(t, a.Email, subjectResetDone)
	// Signing in is proven over HTTP (a client address of its own): /login allows 30 sign-ins
	// per 15 minutes per IP, and every tab of the suite is 127.0.0.1.
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}), http.StatusUnauthorized, "invalid_credentials")
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": newPassword}), http.StatusOK, "")
	p.followMail(m, "/reset-password")
	p.Fill("#new_password", "yet another passphrase here")
	p.Click("#reset-form button[type=submit]")
	p.waitNotice("This link is invalid")
}

// Address verification through the pages: the banner asks for it after signup, the link from
// the local mailbox confirms the address, and the banner is gone.
func TestAddressVerificationThroughTheMailbox(t *testing.T) {
	t.Parallel()
	a := newAccount(t) // signup over HTTP: the sign-up page's per-IP limit is shared by every tab
	p := openTab(t)
	p.adopt(a)
	p.WaitVisible("#address-banner")
	if got := p.Text("#address-banner"); !strings.Contains(got, "Please confirm your address") {
		t.Fatalf("banner %q", got)
	}
	p.followMail(mailWithSubject(t, a.Email, subjectVerify), "/verify-email")
	p.Click("#token-form button[type=submit]")
	p.waitNotice("Your address is confirmed.")
	p.Click("#page-notice a")
	p.WaitAt("/app")
	p.WaitVisible("body.signed-in")
	if n := p.Count("#address-banner"); n != 0 {
		t.Fatalf("the banner is still shown after verifying: %q", p.Text("#address-banner"))
	}
}

// changeAddress changes a's address to next through Settings › Profile and the link mailed to
// next, in p (signed in as a).
func changeAddress(t *testing.T, p *Tab, a *account, next string) {
	t.Helper()
	p.Visit("/app/settings")
	p.WaitVisible("#email-change-form")
	p.Fill("#new_email", next)
	p.Fill("#email-change-password", a.Password)
	p.Click("#email-change-form button[type=submit]")
	p.WaitFor("the change's answer", fmt.Sprintf(`(document.querySelector('#email-change-status')?.textContent || '').includes(%q)`, next))
	p.followMail(mailWithSubject(t, next, subjectChange), "/confirm-email")
	p.Click("#token-form button[type=submit]")
	p.WaitFor("the confirmation", `document.querySelector('#page-notice .notice-success') !== null`)
}

// E-mail change through the pages: Settings sends the link to the new address, the link from
// the local mailbox applies it, the old address is told, and Settings shows the new one.
func TestEmailChangeThroughTheMailbox(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	next := newEmail()
	p := openTab(t)
	p.adopt(a)
	changeAddress(t, p, a, next)

	told := mailWithSubject(t, a.Email, subjectChangeNotice)
	if !strings.Contains(told.Text, next) || !strings.Contains(told.Text, "IP address") {
		t.Fatalf("the notice to the old address:\n%s", told.Text)
	}
	p.Visit("/app/settings")
	p.WaitFor("the new address in Settings", fmt.Sprintf(`document.querySelector('#profile-email').value === %q`, next))
}

// The bounce banner: mail to the address was refused permanently (a 550 from the local
// catcher), so every app page says so; after the address is changed it is gone.
func TestBounceBannerUntilTheAddressChanges(t *testing.T) {
	t.Parallel()
	email := newEmail()
	devtest.RefuseMail(t, email)
	a := newAccountAs(t, email)
	devtest.Eventually(t, "the verification mail to bounce", func() bool {
		b, _ := a.HTTP.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)["email_bounced"].(string)
		return b == email
	})
	p := openTab(t)
	p.adopt(a)
	p.WaitVisible("#address-banner")
	if got := p.Text("#address-banner"); !strings.Contains(got, "Mail to "+email+" bounced") {
		t.Fatalf("banner %q", got)
	}
	changeAddress(t, p, a, newEmail())
	p.Visit("/app")
	p.WaitVisible("body.signed-in")
	if n := p.Count("#address-banner"); n != 0 {
		t.Fatalf("the banner is still shown after the change: %q", p.Text("#address-banner"))
	}
}
