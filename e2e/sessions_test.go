package e2e

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func login(t *testing.T, email, password string) *devtest.Client {
	t.Helper()
	c := devtest.NewClient(t)
	devtest.Want(t, c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": password}), 200, "")
	return c
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	email := u["email"].(string)
	b := login(t, email, goodPassword)
	before := devtest.Snapshot(t, "user:"+u["id"].(string))

	for name, tc := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"wrong current": {map[string]string{"current_password": "wrong wrong wrong", "new_password": "a brand new passphrase"}, 403, "invalid_password"},
		"weak new":      {map[string]string{"current_password": goodPassword, "new_password": "password1"}, 422, "weak_password"},
		"missing new":   {map[string]string{"current_password": goodPassword}, 400, "invalid_request"},
		"wrong type":    {map[string]any{"current_password": goodPassword, "new_password": 12345678}, 400, "invalid_request"},
	} {
		if r := a.Do("POST", "/api/account/password", tc.body); r.StatusCode != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	after := devtest.Snapshot(t, "user:"+u["id"].(string))
	for k, v := range before {
		if !strings.HasSuffix(k, ":audit") && after[k] != v {
			t.Fatalf("refused password changes altered %s", k)
		}
	}
	devtest.Want(t, b.Do("GET", "/api/me", nil), 200, "")

	// A password of this test's own, so the scan below cannot match another test's data.
	newPassword := "a brand new passphrase " + u["id"].(string)
	devtest.Want(t, a.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": newPassword}), 204, "")
	for k, v := range devtest.Snapshot(t) {
		if strings.Contains(k+v, newPassword) {
			t.Fatalf("%s holds the new password in plaintext", k)
		}
	}
	devtest.Want(t, a.Do("GET", "/api/me", nil), 200, "")
	devtest.Want(t, b.Do("GET", "/api/me", nil), 401, "unauthenticated")
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 401, "invalid_credentials")
	login(t, email, newPassword)
}

func TestSessionListAndRevoke(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	email := u["email"].(string)
	b := login(t, email, goodPassword)
	c := login(t, email, goodPassword)
	r := a.Do("GET", "/api/account/sessions", nil)
	devtest.Want(t, r, 200, "")
	var list struct {
		Sessions []struct {
			ID         string    `json:"id"`
			CreatedAt  time.Time `json:"created_at"`
			LastSeenAt time.Time `json:"last_seen_at"`
			IP         string    `json:"ip"`
			UserAgent  string    `json:"user_agent"`
			Current    bool      `json:"current"`
		} `json:"sessions"`
	}
	r.JSON(&list)
	if len(list.Sessions) != 3 {
		t.Fatalf("%d sessions", len(list.Sessions))
	}
	var current, other string
	for _, s := range list.Sessions {
		if s.Current {
			current = s.ID
			if s.IP != a.IP || s.UserAgent != "devtest/1.0" {
				t.Errorf("current session = %+v, want ip %s", s, a.IP)
			}
		} else if s.IP == b.IP {
			other = s.ID
		}
	}
	if current == "" || other == "" {
		t.Fatalf("sessions = %+v", list.Sessions)
	}

	// Another user cannot revoke it; an unknown id is 404; no id is 400.
	stranger, _ := signUp(t)
	devtest.Want(t, stranger.Do("DELETE", "/api/account/sessions?id="+other, nil), 404, "not_found")
	devtest.Want(t, a.Do("DELETE", "/api/account/sessions?id=nosuchsession", nil), 404, "not_found")
	devtest.Want(t, a.Do("DELETE", "/api/account/sessions", nil), 400, "invalid_request")
	devtest.Want(t, b.Do("GET", "/api/me", nil), 200, "")

	devtest.Want(t, a.Do("DELETE", "/api/account/sessions?id="+other, nil), 204, "")
	devtest.Want(t, b.Do("GET", "/api/me", nil), 401, "unauthenticated")
	devtest.Want(t, c.Do("GET", "/api/me", nil), 200, "")
	devtest.Want(t, a.Do("DELETE", "/api/account/sessions?id=others", nil), 204, "")
	devtest.Want(t, c.Do("GET", "/api/me", nil), 401, "unauthenticated")
	devtest.Want(t, a.Do("GET", "/api/me", nil), 200, "")

	events := securityLog(t, a)
	types := typesOf(events)
	if len(types) < 5 || types[0] != "other_sessions_revoked" || types[1] != "session_revoked" {
		t.Fatalf("security log (newest first) = %v", types)
	}
	last := events[0]
	if at, err := time.Parse(time.RFC3339, last["at"].(string)); err != nil || time.Since(at) > time.Minute || last["ip"] != a.IP {
		t.Fatalf("event = %v", last)
	}
}

// A cookie is only as good as its signature, its key, its claims and its server-side record.
func TestTamperedSessionCookies(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	good := a.Cookie("mq_session").Value
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	other := strings.Replace(string(payload), u["id"].(string), "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
	claims := func(mutate func(jwt.MapClaims)) jwt.MapClaims {
		var c jwt.MapClaims
		p := jwt.NewParser()
		p.ParseUnverified(good, &c)
		mutate(c)
		return c
	}
	sign := func(m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	attacker := []byte("an attacker's own key, 32 bytes!")
	cases := map[string]string{
		"payload edited": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(other)) + "." + parts[2],
		"signature cut":  parts[0] + "." + parts[1] + ".",
		"alg none":       sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "dev-s1", claims(func(jwt.MapClaims) {})),
		"HS512":          sign(jwt.SigningMethodHS512, attacker, "dev-s1", claims(func(jwt.MapClaims) {})),
		"unknown kid":    sign(jwt.SigningMethodHS256, attacker, "k-unknown", claims(func(jwt.MapClaims) {})),
		"expired":        sign(jwt.SigningMethodHS256, attacker, "dev-s1", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
		"wrong audience": sign(jwt.SigningMethodHS256, attacker, "dev-s1", claims(func(c jwt.MapClaims) { c["aud"] = "metriqs-mfa" })),
		"not a jwt":      "hello",
	}
	for name, v := range cases {
		c := devtest.NewClient(t)
		c.SetCookie(&http.Cookie{Name: "mq_session", Value: v})
		if r := c.Do("GET", "/api/me", nil); r.StatusCode != 401 || r.ErrorCode() != "unauthenticated" {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	_, u := signUp(t)
	c := devtest.NewClient(t)
	var last *devtest.Response
	for i := 0; i < 11; i++ {
		last = c.Do("POST", "/api/auth/login", map[string]string{"email": u["email"].(string), "password": "wrong password " + strconv.Itoa(i)})
		if last.StatusCode == 429 {
			break
		}
	}
	devtest.Want(t, last, 429, "rate_limited")
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
		t.Fatalf("Retry-After = %q", last.Header.Get("Retry-After"))
	}
	// The account is protected from every address, even with the right password, until the
	// window passes.
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": u["email"].(string), "password": goodPassword}), 429, "rate_limited")
}

func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	r := c.Do("PATCH", "/api/me", map[string]string{"name": "Ada Lovelace", "timezone": "Europe/London"})
	devtest.Want(t, r, 200, "")
	u := r.Map()["user"].(map[string]any)
	if u["name"] != "Ada Lovelace" || u["timezone"] != "Europe/London" {
		t.Fatalf("user = %v", u)
	}
	devtest.Want(t, c.Do("PATCH", "/api/me", map[string]string{"timezone": "Mars/Olympus"}), 422, "invalid_timezone")
	devtest.Want(t, c.Do("PATCH", "/api/me", map[string]string{}), 400, "invalid_request")
	if c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)["timezone"] != "Europe/London" {
		t.Fatal("refused update changed the time zone")
	}
}

// passwordRace sends the changes from the clients at the same instant and returns each status.
func passwordRace(clients []*devtest.Client, newPassword func(i int) string) []int {
	statuses := make([]int, len(clients))
	storetest.Together(len(clients), func(i int) {
		statuses[i] = clients[i].Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": newPassword(i)}).StatusCode
	})
	return statuses
}

// Two sessions change the password at the same instant: one change wins (compare-and-set on
// the stored hash), the other is told so (409 password_changed, or 403 if it read the new hash
// already) and changes nothing; the winner stays signed in, the loser is signed out, the
// stored password is the winner's, and the security log has one password_changed.
func TestConcurrentPasswordChangesOneWins(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	email, uid := u["email"].(string), u["id"].(string)
	clients := []*devtest.Client{a, login(t, email, goodPassword)}
	pw := func(i int) string { return "the new passphrase of session " + strconv.Itoa(i) }
	statuses := passwordRace(clients, pw)
	winner := slices.Index(statuses, 204)
	if winner < 0 || slices.Index(statuses[winner+1:], 204) >= 0 {
		t.Fatalf("statuses = %v, want exactly one 204", statuses)
	}
	loser := 1 - winner
	if s := statuses[loser]; s != 409 && s != 403 {
		t.Fatalf("losing change: %d", s)
	}
	devtest.Want(t, clients[winner].Do("GET", "/api/me", nil), 200, "")
	devtest.Want(t, clients[loser].Do("GET", "/api/me", nil), 401, "unauthenticated")
	if n := countType(t, uid, "password_changed"); n != 1 {
		t.Fatalf("%d password_changed events", n)
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": pw(loser)}), 401, "invalid_credentials")
	login(t, email, pw(winner))
}

// 20 identical changes from one session at once: one takes effect and is logged once; the
// others are refused (409 password_changed, 403, or 429 past the password limit).
func TestIdenticalPasswordChangesLoggedOnce(t *testing.T) {
	// Not parallel: a burst of bcrypts beside the parallel tests would run into the request
	// deadline on a small CI machine.
	devtest.SkipBurstUnderRace(t)
	a, u := signUp(t)
	clients := make([]*devtest.Client, 20)
	for i := range clients {
		clients[i] = a
	}
	statuses := passwordRace(clients, func(int) string { return "one and the same new passphrase" })
	won := 0
	for _, s := range statuses {
		switch s {
		case 204:
			won++
		case 409, 403, 429:
		default:
			t.Fatalf("statuses = %v", statuses)
		}
	}
	if won != 1 {
		t.Fatalf("statuses = %v, want exactly one 204", statuses)
	}
	if n := countType(t, u["id"].(string), "password_changed"); n != 1 {
		t.Fatalf("%d password_changed events for one change", n)
	}
	devtest.Want(t, a.Do("GET", "/api/me", nil), 200, "")
}
