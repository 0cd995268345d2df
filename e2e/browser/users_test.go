package browser

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// SignIn signs in through /login and waits for /app.
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
