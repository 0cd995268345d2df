package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// A visitor signs up from the home page, lands in the app, and signs out.
func TestSignUpLandsInTheAppAndSignOut(t *testing.T) {
	t.Parallel()
	p := openTab(t)
	p.Visit("/")
	p.A11y()
	p.Screenshot("home", false)
	p.Click(".hero a[href='/signup']")
	p.WaitAt("/signup")
	p.A11y()
	p.Screenshot("signup", false)

	email := newEmail()
	p.Fill("#name", "Grace Hopper")
	p.Fill("#email", email)
	p.Fill("#password", password)
	p.Click("#signup-form button[type=submit]")
	p.WaitAt("/app")
	p.WaitFor("the account in the header", `document.querySelector('[data-user-email]').textContent === `+jsString(email))
	p.WaitVisible("#reports .empty, #reports .notice")
	p.A11y()

	p.SignOut()
	// The notice is written by the page's script after load: wait for its words.
	p.WaitFor("the signed-out notice", `(document.querySelector('#login-notice')?.textContent || '').includes('signed out')`)
	// The session is gone: the app sends the visitor to sign in again.
	p.Visit("/app")
	p.WaitAt("/login?next=%2Fapp")
}

// The sign-up form shows the API's own message next to the field it names.
func TestSignUpShowsFieldErrors(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.Visit("/signup")
	p.Fill("#email", a.Email)
	p.Fill("#password", password)
	// The same request over HTTP tells what the page must show.
	want := devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": a.Email, "password": password})
	devtest.Want(t, want, http.StatusConflict, "email_taken")
	p.Click("#signup-form button[type=submit]")
	p.WaitVisible(".form-error, .field-error")
	got := p.Text(".form-error, .field-error")
	if msg := errorMessage(t, want); got != msg {
		t.Fatalf("the page shows %q, the API said %q", got, msg)
	}
}

// A wrong password shows the API's message at the top of the form.
func TestLoginShowsTheAPIError(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	want := devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": a.Email, "password": "not the right password"})
	devtest.Want(t, want, http.StatusUnauthorized, "invalid_credentials")

	p := openTab(t)
	p.Visit("/login")
	p.A11y()
	p.Screenshot("login", false)
	p.Fill("#email", a.Email)
	p.Fill("#password", "not the right password")
	p.Click("#login-form button[type=submit]")
	p.WaitVisible("#login-form .form-error")
	if got, msg := p.Text("#login-form .form-error"), errorMessage(t, want); got != msg {
		t.Fatalf("the page shows %q, the API said %q", got, msg)
	}
	if p.Path() != "/login" {
		t.Fatalf("a failed sign-in left /login for %s", p.Path())
	}
	// The form still works afterwards.
	p.Fill("#password", a.Password)
	p.Click("#login-form button[type=submit]")
	p.WaitAt("/app")
}

// A signed-out visit to the app goes to /login?next=… and comes back after signing in; a
// ?next= that leads off the site is ignored.
func TestSignedOutVisitReturnsAfterLogin(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)

	p.Visit("/app")
	p.WaitAt("/login?next=%2Fapp")
	p.WaitVisible("#login-notice .notice")
	p.Fill("#email", a.Email)
	p.Fill("#password", a.Password)
	p.Click("#login-form button[type=submit]")
	p.WaitAt("/app")

	p.SignOut()
	p.Visit("/app/schedules")
	p.WaitAt("/login?next=%2Fapp%2Fschedules")
	p.Fill("#email", a.Email)
	p.Fill("#password", a.Password)
	p.Click("#login-form button[type=submit]")
	p.WaitAt("/app/schedules")

	for _, next := range []string{"//evil.example/app", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		p.SignOut()
		p.Visit("/login?next=" + url.QueryEscape(next))
		p.Fill("#email", a.Email)
		p.Fill("#password", a.Password)
		p.Click("#login-form button[type=submit]")
		p.WaitAt("/app")
	}
}

func errorMessage(t *testing.T, r *devtest.Response) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	r.JSON(&e)
	if e.Error.Message == "" {
		t.Fatalf("no error message in %s", r.Body)
	}
	return e.Error.Message
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
