package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

var userSeq atomic.Int64

// newEmail returns an address no other test uses.
func newEmail() string {
	return fmt.Sprintf("user%d-%s@example.com", userSeq.Add(1), devtest.Store.Prefix()[7:15])
}

const goodPassword = "correct horse battery staple"

// signUp creates an account in a fresh client and returns the client (signed in) and the user.
func signUp(t *testing.T) (*devtest.Client, map[string]any) {
	t.Helper()
	c := devtest.NewClient(t)
	r := c.Do("POST", "/api/auth/signup", map[string]string{"email": newEmail(), "password": goodPassword, "name": "Ada"})
	if r.StatusCode == http.StatusServiceUnavailable {
		// Seen in CI: a signup past its 9 s deadline on a loaded 2-core machine, when a
		// parallel test released 20 bcrypts in the same dev server (TestFullwidthEmail…, no
		// longer parallel). The tests that use this helper are about what follows the signup,
		// so on a machine loaded by other processes they still try once more, visibly.
		t.Logf("signup answered 503, trying once more: %s", r.Body)
		r = c.Do("POST", "/api/auth/signup", map[string]string{"email": newEmail(), "password": goodPassword, "name": "Ada"})
	}
	devtest.Want(t, r, http.StatusCreated, "")
	return c, r.Map()["user"].(map[string]any)
}

func TestSignupLoginMeLogout(t *testing.T) {
	t.Parallel()
	c := devtest.NewClient(t)
	email := newEmail()
	r := c.Do("POST", "/api/auth/signup", map[string]string{"email": "  " + strings.ToUpper(email[:1]) + email[1:] + " ", "password": goodPassword, "name": "Ada"})
	devtest.Want(t, r, 201, "")
	u := r.Map()["user"].(map[string]any)
	if u["email"] != email || u["name"] != "Ada" || u["totp_enabled"] != false || u["id"] == "" || u["created_at"] == "" {
		t.Fatalf("user = %v", u)
	}
	ck := c.Cookie("mq_session")
	if ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("session cookie = %+v", ck)
	}
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")

	// Passwords are never stored in plaintext: no value in Redis contains it.
	for k, v := range devtest.Values(t) {
		if strings.Contains(v, goodPassword) {
			t.Fatalf("key %s holds the password in plaintext", k)
		}
	}

	old := c.Cookie("mq_session")
	devtest.Want(t, c.Do("POST", "/api/auth/logout", nil), 204, "")
	if c.Cookie("mq_session") != nil {
		t.Fatal("logout did not clear the cookie")
	}
	devtest.Want(t, c.Do("GET", "/api/me", nil), 401, "unauthenticated")
	// The old cookie is useless afterwards: the server-side record is gone.
	c.SetCookie(old)
	devtest.Want(t, c.Do("GET", "/api/me", nil), 401, "unauthenticated")

	r = c.Do("POST", "/api/auth/login", map[string]string{"email": strings.ToUpper(email), "password": goodPassword})
	devtest.Want(t, r, 200, "")
	if r.Map()["user"].(map[string]any)["id"] != u["id"] {
		t.Fatalf("login returned %s", r.Body)
	}
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")
}

func TestLoginWrongEmailAndWrongPasswordLookTheSame(t *testing.T) {
	t.Parallel()
	_, u := signUp(t)
	c := devtest.NewClient(t)
	wrongPw := c.Do("POST", "/api/auth/login", map[string]string{"email": u["email"].(string), "password": "not the password at all"})
	unknown := c.Do("POST", "/api/auth/login", map[string]string{"email": "nobody-" + newEmail(), "password": "not the password at all"})
	devtest.Want(t, wrongPw, 401, "invalid_credentials")
	devtest.Want(t, unknown, 401, "invalid_credentials")
	if string(wrongPw.Body) != string(unknown.Body) {
		t.Fatalf("answers differ:\n%s\n%s", wrongPw.Body, unknown.Body)
	}
	if c.Cookie("mq_session") != nil {
		t.Fatal("a failed login set a session cookie")
	}
}

func TestSignupBadInputChangesNothing(t *testing.T) {
	// Not parallel: it compares a snapshot of all stored data.
	_, existing := signUp(t)
	email := existing["email"].(string)
	awaitQStash(t) // the signup's verification mail settles in the background
	c := devtest.NewClient(t)
	long64 := strings.Repeat("ü", 64) // 64 characters, 128 bytes: accepted
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"empty body", "", 400, "invalid_request"},
		{"malformed", `{"email":`, 400, "invalid_request"},
		{"not an object", `"hello"`, 400, "invalid_request"},
		{"missing email", map[string]any{"password": goodPassword}, 400, "invalid_request"},
		{"missing password", map[string]any{"email": newEmail()}, 400, "invalid_request"},
		{"extra field", map[string]any{"email": newEmail(), "password": goodPassword, "admin": true}, 400, "invalid_request"},
		{"email wrong type", map[string]any{"email": 42, "password": goodPassword}, 400, "invalid_request"},
		{"password wrong type", map[string]any{"email": newEmail(), "password": []int{1}}, 400, "invalid_request"},
		{"invalid email", map[string]any{"email": "ada.example.com", "password": goodPassword}, 422, "invalid_email"},
		{"too short", map[string]any{"email": newEmail(), "password": "short12"}, 422, "weak_password"},
		{"7 multibyte", map[string]any{"email": newEmail(), "password": strings.Repeat("é", 7)}, 422, "weak_password"},
		{"too long", map[string]any{"email": newEmail(), "password": strings.Repeat("x", 129)}, 422, "weak_password"},
		{"common", map[string]any{"email": newEmail(), "password": "Password123"}, 422, "weak_password"},
		{"duplicate", map[string]any{"email": email, "password": goodPassword}, 409, "email_taken"},
		{"duplicate other case", map[string]any{"email": strings.ToUpper(email), "password": goodPassword}, 409, "email_taken"},
		{"oversized", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "too_large"},
	}
	before := devtest.Snapshot(t, "user:", "email:", "sess:")
	for _, tc := range cases {
		r := c.Do("POST", "/api/auth/signup", tc.body)
		if r.StatusCode != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, r.StatusCode, r.Body, tc.status, tc.code)
		}
	}
	after := devtest.Snapshot(t, "user:", "email:", "sess:")
	if len(before) != len(after) {
		t.Fatalf("refused signups changed stored data: %d keys before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("refused signups changed %s", k)
		}
	}
	// Edges that must be accepted: 8 characters, 64 multi-byte characters (beyond bcrypt's
	// 72 bytes), exactly 72 and 73 ASCII bytes.
	for _, pw := range []string{"eightch8", long64, strings.Repeat("k", 72), strings.Repeat("k", 73)} {
		r := devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]any{"email": newEmail(), "password": pw})
		devtest.Want(t, r, 201, "")
	}
}

// bcrypt reads 72 bytes; a password that differs only after byte 72 must not sign in.
func TestPasswordNotTruncatedAt72Bytes(t *testing.T) {
	t.Parallel()
	email := newEmail()
	pw := strings.Repeat("a", 72) + "-tail-one"
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]any{"email": email, "password": pw}), 201, "")
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]any{"email": email, "password": strings.Repeat("a", 72) + "-tail-two"}), 401, "invalid_credentials")
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]any{"email": email, "password": pw}), 200, "")
}

func TestConcurrentSignupsExactlyOneWins(t *testing.T) {
	t.Parallel()
	email := newEmail()
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := email
			if i%2 == 1 {
				e = strings.ToUpper(email)
			}
			statuses[i] = devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]any{"email": e, "password": goodPassword}).StatusCode
		}()
	}
	wg.Wait()
	won, lost := 0, 0
	for _, s := range statuses {
		switch s {
		case 201:
			won++
		case 409:
			lost++
		}
	}
	if won != 1 || lost != len(statuses)-1 {
		t.Fatalf("statuses = %v", statuses)
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	c.Header.Set("Sec-Fetch-Site", "cross-site")
	devtest.Want(t, c.Do("POST", "/api/account/password", map[string]any{"current_password": goodPassword, "new_password": "another long passphrase"}), 403, "csrf_rejected")
	c.Header.Set("Sec-Fetch-Site", "same-origin")
	c.Header.Set("Origin", "https://evil.example")
	devtest.Want(t, c.Do("POST", "/api/auth/logout", nil), 403, "csrf_rejected")
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", nil), 400, "invalid_request")
	evil := devtest.NewClient(t)
	evil.Header.Set("Origin", "https://evil.example")
	devtest.Want(t, evil.Do("POST", "/api/auth/login", map[string]any{"email": "a@b.co", "password": "x"}), 403, "csrf_rejected")
	// Reads are not state-changing and pass; the session still works.
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("GET", "/api/does-not-exist", nil), 404, "not_found")
	r := c.Do("DELETE", "/api/health", nil)
	devtest.Want(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow = %q", r.Header.Get("Allow"))
	}
	devtest.Want(t, c.Do("GET", "/api/health", nil), 200, "")
}
