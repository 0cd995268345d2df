package browser

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/pquerna/otp/totp"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

const password = "correct horse battery staple"

var userSeq atomic.Int64

// newEmail returns an address no other test (nor another run on the same Redis) uses.
func newEmail() string {
	return fmt.Sprintf("browser%d-%s@example.com", userSeq.Add(1), devtest.Store.Prefix()[7:15])
}

// account is a user made over HTTP, with that client signed in. Accounts are made this way
// and not through the sign-up page because sign-ups are limited per IP address, and every
// browser here connects from 127.0.0.1 (devtest clients each have an address of their own).
type account struct {
	Email, Password string
	HTTP            *devtest.Client
}

func newAccount(t *testing.T) *account {
	t.Helper()
	return newAccountAs(t, newEmail())
}

// newAccountAs makes the account with a given address: the tests that save screenshots use
// a readable one. Each address may be used by one test only (every run has a fresh Redis
// prefix, so runs do not collide).
func newAccountAs(t *testing.T, email string) *account {
	t.Helper()
	c := devtest.NewClient(t)
	name, _, _ := strings.Cut(email, "@")
	name = strings.ToUpper(name[:1]) + name[1:]
	r := c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": password, "name": name})
	devtest.Want(t, r, http.StatusCreated, "")
	return &account{Email: email, Password: password, HTTP: c}
}

// adopt gives the tab a's own session (a is signed in since its signup) and opens /app. The
// tab and a.HTTP then share one session: a test that signs the tab out, or needs the tab's
// session apart from a.HTTP's, uses adoptNewSession.
func (p *Tab) adopt(a *account) {
	p.t.Helper()
	p.adoptCookies(a.HTTP)
}

// adoptNewSession signs a in over HTTP from a client address of its own, gives the tab that
// new session, and opens /app: a session (and a "Signed in" event) of its own, made without
// spending /login's per-IP budget.
func (p *Tab) adoptNewSession(a *account) {
	p.t.Helper()
	c := devtest.NewClient(p.t)
	devtest.Want(p.t, c.Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}), http.StatusOK, "")
	p.adoptCookies(c)
}

// adoptCookies sets c's cookies in the tab, opens /app and waits for the signed-in header.
func (p *Tab) adoptCookies(c *devtest.Client) {
	p.t.Helper()
	for _, ck := range c.Cookies() {
		call(p, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: p.base + "/",
			Path: "/", HTTPOnly: new(ck.HttpOnly), Secure: new(ck.Secure), SameSite: network.CookieSameSiteLax})
	}
	p.Visit("/app")
	p.WaitVisible("body.signed-in")
	p.WaitFor("the signed-in header", `document.querySelector('[data-user-email]').textContent.length > 0`)
}

// The sign-in budget. /login allows 30 sign-ins per 15 minutes per client address
// (lib/account limitLoginIP; the 2FA step has a budget of its own, limitMFAIP), every attempt
// counts, and every tab here is 127.0.0.1: the whole suite shares those 30, and going over
// fails whichever test signs in last with "Too many attempts". So tests whose subject is
// another page take a session with adopt or adoptNewSession, and only the tests of the
// sign-in page itself submit its form. Password submissions from the tabs per run (keep this
// count up to date when a test submits the form):
//
//	TestLoginShowsTheAPIError                     2  a wrong password, then the right one
//	TestSignedOutVisitReturnsAfterLogin           6  ?next= kept twice, four off-site ?next=
//	TestTwoFactorFromSettingsThenSignInWithACode  2  each followed by the 2FA step
//	TestMainFlow                                  2  with 2FA; the deleted account refused
//	TestChangePassword                            1  the new password
//	total                                        13 of 30
//
// SignIn signs in through /login and waits for /app. It spends one of the suite's 30
// sign-ins (above): use it only where the sign-in page is what the test is about.
func (p *Tab) SignIn(email, pw string) {
	p.t.Helper()
	p.Visit("/login")
	p.Fill("#email", email)
	p.Fill("#password", pw)
	p.Click("#login-form button[type=submit]")
	p.WaitAt("/app")
	p.WaitFor("the signed-in header", `document.querySelector('[data-user-email]').textContent.length > 0`)
}

// SignOut uses the header's button and waits for the sign-in page.
func (p *Tab) SignOut() {
	p.t.Helper()
	p.WaitVisible("body.signed-in") // the page's script is running, so the button works
	p.Click("[data-sign-out]")
	p.WaitAt("/login?signed_out=1")
}

// codes hands out TOTP codes for a secret, each from a later 30-second step than the one
// before: the API accepts a code once and refuses any step not after the last one used
// (RFC 6238 §5.2), and allows one step of clock skew either way. When the next step is not
// yet acceptable, next waits for it.
type codes struct {
	t      *testing.T
	secret string
	last   int64
}

func (c *codes) next() string {
	c.t.Helper()
	for {
		now := time.Now().Unix() / 30
		stepN := max(c.last+1, now)
		if stepN <= now+1 {
			code, err := totp.GenerateCode(c.secret, time.Unix(stepN*30, 0))
			if err != nil {
				c.t.Fatal(err)
			}
			c.last = stepN
			return code
		}
		time.Sleep(time.Until(time.Unix((now+1)*30, 0)) + 200*time.Millisecond)
	}
}

// stripSpaces removes the grouping spaces the page puts in secrets and codes.
func stripSpaces(s string) string { return strings.Join(strings.Fields(s), "") }
