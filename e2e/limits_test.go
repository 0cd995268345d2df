package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// The documented limits (docs/security.md, "Rate limits"; docs/API.md). Only the name matters
// for finding a counter in Redis; the maximum and window are what the tests hold the product to.
var (
	docSignupIP     = ratelimit.Limit{Name: "signup-ip", Max: 10, Window: time.Hour}
	docLoginIP      = ratelimit.Limit{Name: "login-ip", Max: 30, Window: 15 * time.Minute}
	docLoginAccount = ratelimit.Limit{Name: "login-account", Max: 10, Window: 15 * time.Minute}
	docPasswordUser = ratelimit.Limit{Name: "password-user", Max: 5, Window: 15 * time.Minute}
	docMFAUser      = ratelimit.Limit{Name: "mfa-user", Max: 10, Window: 15 * time.Minute}
	docMFAIP        = ratelimit.Limit{Name: "mfa-ip", Max: 30, Window: 15 * time.Minute}
)

// counterKey is where the product keeps the count of lim for subject, by lib/ratelimit's own
// key function.
func counterKey(lim ratelimit.Limit, subject string) string {
	return ratelimit.New(devtest.Store).Key(lim, subject)
}

// counter reads a rate-limit counter (0 when there is none).
func counter(t *testing.T, lim ratelimit.Limit, subject string) int64 {
	t.Helper()
	n, err := devtest.Store.R.Get(context.Background(), counterKey(lim, subject)).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("read counter %s: %v", lim.Name, err)
	}
	return n
}

// useUpTo adds attempts to a counter until it reads n, as if that many requests had been made
// within the window: INCRBY keeps the expiry the product set when it started the window. The
// counter must already exist, so that a wrong key (and so a limit keyed differently from what
// the test assumes) fails here instead of passing unnoticed.
func useUpTo(t *testing.T, lim ratelimit.Limit, subject string, n int64) {
	t.Helper()
	ctx := context.Background()
	k := counterKey(lim, subject)
	have := counter(t, lim, subject)
	if have == 0 {
		t.Fatalf("no %s counter for %s: real requests were not counted where the test looks", lim.Name, subject)
	}
	if err := devtest.Store.R.IncrBy(ctx, k, n-have).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := devtest.Store.R.PTTL(ctx, k).Val(); ttl <= 0 || ttl > lim.Window {
		t.Fatalf("%s counter expires in %v, want within its %v window", lim.Name, ttl, lim.Window)
	}
}

// wantLimited checks a 429 rate_limited that carries a Retry-After of whole seconds, due
// within the limit's window.
func wantLimited(t *testing.T, r *devtest.Response, lim ratelimit.Limit) {
	t.Helper()
	devtest.Want(t, r, http.StatusTooManyRequests, "rate_limited")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra <= 0 || time.Duration(ra)*time.Second > lim.Window {
		t.Fatalf("%s: Retry-After = %q, want 1..%d seconds", lim.Name, r.Header.Get("Retry-After"), int(lim.Window/time.Second))
	}
}

// wrongCode returns six digits that are not the code of any step near now, so no attempt with
// it can succeed by chance.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	for i := -3; i <= 3; i++ {
		near[code(t, secret, time.Now().Add(time.Duration(i)*30*time.Second))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !near[c] {
			return c
		}
	}
}

func securityLog(t *testing.T, c *devtest.Client) []map[string]any {
	t.Helper()
	r := c.Do("GET", "/api/account/security-log", nil)
	devtest.Want(t, r, 200, "")
	var out struct {
		Events []map[string]any `json:"events"`
	}
	r.JSON(&out)
	return out.Events
}

// typesOf lists the events' types, in order.
func typesOf(events []map[string]any) []string {
	var types []string
	for _, e := range events {
		typ, _ := e["type"].(string)
		types = append(types, typ)
	}
	return types
}

// Signup: 10 per IP per hour (API.md, security.md). The 11th is refused before anything is
// stored, and the address it tried is still free.
func TestSignupRateLimitPerIP(t *testing.T) {
	t.Parallel()
	x := devtest.NewClient(t)
	signup := func(email string) *devtest.Response {
		return x.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": goodPassword})
	}
	devtest.Want(t, signup(newEmail()), 201, "")
	if n := counter(t, docSignupIP, x.IP); n != 1 {
		t.Fatalf("after one signup the %s counter is %d, want 1", docSignupIP.Name, n)
	}
	// Stands for eight more signups from this address within the hour (each costs a bcrypt
	// hash); the tenth is a real one again and must still pass.
	useUpTo(t, docSignupIP, x.IP, docSignupIP.Max-1)
	devtest.Want(t, signup(newEmail()), 201, "")

	refused := newEmail()
	wantLimited(t, signup(refused), docSignupIP)

	// No account was made: the address cannot sign in, and another address may take it.
	y := devtest.NewClient(t)
	devtest.Want(t, y.Do("POST", "/api/auth/login", map[string]string{"email": refused, "password": goodPassword}), 401, "invalid_credentials")
	devtest.Want(t, y.Do("POST", "/api/auth/signup", map[string]string{"email": refused, "password": goodPassword}), 201, "")
}

// Login: 30 attempts per IP per 15 minutes, right or wrong, whichever account they name. This
// is the per-IP limit; TestLoginRateLimit covers the per-account one.
func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	_, u := signUp(t)
	email := u["email"].(string)
	x := devtest.NewClient(t)
	devtest.Want(t, x.Do("POST", "/api/auth/login", map[string]string{"email": "nobody-" + newEmail(), "password": "wrong password 1"}), 401, "invalid_credentials")
	if n := counter(t, docLoginIP, x.IP); n != 1 {
		t.Fatalf("after one login attempt the %s counter is %d, want 1", docLoginIP.Name, n)
	}
	// Stands for 28 more attempts from this address (each costs a bcrypt comparison); the 30th
	// is real and still allowed, with the right password.
	useUpTo(t, docLoginIP, x.IP, docLoginIP.Max-1)
	devtest.Want(t, x.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), 200, "")
	devtest.Want(t, x.Do("POST", "/api/auth/logout", nil), 204, "")

	// The 31st is refused, though the password is right and the account has no failures.
	wantLimited(t, x.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}), docLoginIP)
	if x.Cookie("mq_session") != nil || x.Cookie("mq_mfa") != nil {
		t.Fatal("a refused login set a cookie")
	}
	// So is one with a malformed address: it costs a bcrypt comparison like any other.
	wantLimited(t, x.Do("POST", "/api/auth/login", map[string]string{"email": "not-an-address", "password": goodPassword}), docLoginIP)
	// The account itself is not locked: from another address the same login works.
	login(t, email, goodPassword)
}

// Password change: 5 attempts per user per 15 minutes, from any of the user's sessions; the
// limit is shared with recovery-code regeneration and starting 2FA set-up (docs/security.md).
func TestPasswordChangeRateLimitPerUser(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	email, uid := u["email"].(string), u["id"].(string)
	b := login(t, email, goodPassword)
	wrong := map[string]string{"current_password": "not my password", "new_password": "a brand new passphrase"}
	for i, c := range []*devtest.Client{a, a, a, b, b} {
		if r := c.Do("POST", "/api/account/password", wrong); r.StatusCode != 403 || r.ErrorCode() != "invalid_password" {
			t.Fatalf("attempt %d: %d %s", i+1, r.StatusCode, r.Body)
		}
	}
	unchangedFor(t, uid, func() {
		// The sixth attempt is refused even with the right password, from either session.
		right := map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}
		wantLimited(t, a.Do("POST", "/api/account/password", right), docPasswordUser)
		wantLimited(t, b.Do("POST", "/api/account/password", right), docPasswordUser)
		// Same budget: regenerating recovery codes and turning 2FA off, which check the
		// password too (otherwise 409 totp_not_enabled here, a password oracle).
		wantLimited(t, b.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword, "code": "123456"}), docPasswordUser)
		wantLimited(t, b.Do("POST", "/api/account/totp", map[string]string{"password": goodPassword}), docPasswordUser)
		wantLimited(t, b.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "code": "123456"}), docPasswordUser)
	})
	devtest.Want(t, a.Do("GET", "/api/me", nil), 200, "")
	devtest.Want(t, b.Do("GET", "/api/me", nil), 200, "")
	login(t, email, goodPassword)
	// Another user is not affected.
	other, _ := signUp(t)
	devtest.Want(t, other.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}), 204, "")
}

// 2FA codes: 10 attempts per account per 15 minutes, counted across pending sign-ins and
// addresses; confirming the enrolment was one of them.
func TestTwoFactorRateLimitPerUser(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	secret, recovery := enable2FA(t, c)
	email, uid := u["email"].(string), u["id"].(string)
	if n := counter(t, docMFAUser, uid); n != 1 {
		t.Fatalf("after confirming enrolment the %s counter is %d, want 1", docMFAUser.Name, n)
	}
	bad := map[string]string{"code": wrongCode(t, secret)}
	// Five wrong codes use up one pending sign-in; four more on a second one, from another
	// address: ten attempts in all.
	a := passwordStep(t, email)
	for i := 0; i < 5; i++ {
		devtest.Want(t, a.Do("POST", "/api/auth/mfa", bad), 401, "invalid_code")
	}
	b := passwordStep(t, email)
	for i := 0; i < 4; i++ {
		devtest.Want(t, b.Do("POST", "/api/auth/mfa", bad), 401, "invalid_code")
	}
	next := code(t, secret, time.Now().Add(30*time.Second))
	d := passwordStep(t, email)
	unchangedFor(t, uid, func() {
		// The 11th is refused with a right code, on a pending sign-in that has attempts left.
		wantLimited(t, b.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), docMFAUser)
		if b.Cookie("mq_session") != nil {
			t.Fatal("a refused code attempt set a session cookie")
		}
		// And from a fresh address with a fresh pending sign-in, with a recovery code.
		wantLimited(t, d.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": recovery[0]}), docMFAUser)
		// Turning 2FA off takes a code too, and is refused the same way.
		wantLimited(t, c.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "code": next}), docMFAUser)
	})
	if c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)["totp_enabled"] != true {
		t.Fatal("2FA turned off by a refused request")
	}
}

// 2FA codes: 30 attempts per IP per 15 minutes, whatever they name — even with no pending
// sign-in at all. The account is not locked by them.
func TestTwoFactorRateLimitPerIP(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	secret, _ := enable2FA(t, c)
	email := u["email"].(string)
	x := devtest.NewClient(t)
	bad := map[string]string{"code": wrongCode(t, secret)}
	for i := int64(0); i < docMFAIP.Max; i++ {
		devtest.Want(t, x.Do("POST", "/api/auth/mfa", bad), 401, "mfa_expired")
	}
	if n := counter(t, docMFAIP, x.IP); n != docMFAIP.Max {
		t.Fatalf("after %d code attempts the %s counter is %d", docMFAIP.Max, docMFAIP.Name, n)
	}
	// Now with the password step done from that address and a right code: the 31st attempt.
	r := x.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword})
	devtest.Want(t, r, 200, "")
	if r.Map()["mfa_required"] != true {
		t.Fatalf("login: %s", r.Body)
	}
	next := code(t, secret, time.Now().Add(30*time.Second))
	wantLimited(t, x.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), docMFAIP)
	if x.Cookie("mq_session") != nil {
		t.Fatal("a refused code attempt set a session cookie")
	}
	// From another address the same code signs in: the refusal neither used it up nor counted
	// against the account.
	y := passwordStep(t, email)
	devtest.Want(t, y.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), 200, "")
}

// A pending sign-in lasts 5 minutes (API.md); after that even a right code gets mfa_expired.
func TestTwoFactorPendingSignInExpires(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	secret, _ := enable2FA(t, c)
	email := u["email"].(string)
	b := passwordStep(t, email)

	// The pending cookie names its server-side record.
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(b.Cookie("mq_mfa").Value, &claims); err != nil {
		t.Fatal(err)
	}
	sid, _ := claims["sid"].(string)
	ctx := context.Background()
	key := devtest.Store.Key("mfa", sid)
	if ttl := devtest.Store.R.PTTL(ctx, key).Val(); sid == "" || ttl <= 0 || ttl > 5*time.Minute {
		t.Fatalf("pending record %s: TTL %v, want at most 5 minutes", key, ttl)
	}
	// Five minutes pass: Redis expires the record as its TTL runs out. A 1 ms TTL stands for
	// that wait. The embedded miniredis only expires keys when told time has passed, so it is
	// moved on by that 1 ms; a real Redis expires the key by itself (the loop only waits for
	// that, with no time limit of its own).
	if err := devtest.Store.R.PExpire(ctx, key, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if devtest.Server.Redis != nil {
		devtest.Server.Redis.FastForward(time.Millisecond)
	}
	for devtest.Store.R.Exists(ctx, key).Val() != 0 {
		time.Sleep(time.Millisecond)
	}

	next := code(t, secret, time.Now().Add(30*time.Second))
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), 401, "mfa_expired")
	if b.Cookie("mq_session") != nil {
		t.Fatal("an expired pending sign-in gave a session cookie")
	}
	devtest.Want(t, b.Do("GET", "/api/me", nil), 401, "unauthenticated")
	if n := devtest.Store.R.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("the refused attempt brought the pending record back")
	}
	if n := len(c.Do("GET", "/api/account/sessions", nil).Map()["sessions"].([]any)); n != 1 {
		t.Fatalf("%d sessions, want only the original one", n)
	}
	// The refusal was the expiry alone: the same code with the password entered again works.
	d := passwordStep(t, email)
	devtest.Want(t, d.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), 200, "")
}

// The security log through the API: each action leaves its event, newest first, with the
// address it came from.
func TestSecurityLogEvents(t *testing.T) {
	t.Parallel()
	a, u := signUp(t)
	email := u["email"].(string)

	x := devtest.NewClient(t)
	devtest.Want(t, x.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": "not the password"}), 401, "invalid_credentials")
	b := login(t, email, goodPassword)
	devtest.Want(t, b.Do("POST", "/api/auth/logout", nil), 204, "")
	// Signing out without a session is not an event of anyone's.
	devtest.Want(t, b.Do("POST", "/api/auth/logout", nil), 204, "")

	devtest.Want(t, a.Do("POST", "/api/account/password", map[string]string{"current_password": "not the password", "new_password": "a brand new passphrase"}), 403, "invalid_password")
	devtest.Want(t, a.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}), 204, "")
	secret, recovery := enable2FAWith(t, a, "a brand new passphrase")
	devtest.Want(t, a.Do("POST", "/api/account/recovery-codes", map[string]string{"password": "a brand new passphrase", "recovery_code": recovery[0]}), 200, "")
	devtest.Want(t, a.Do("DELETE", "/api/account/totp", map[string]string{"password": "a brand new passphrase", "code": code(t, secret, time.Now().Add(30*time.Second))}), 204, "")

	events := securityLog(t, a)
	want := []struct{ typ, ip string }{
		{"totp_disabled", a.IP},
		{"recovery_codes_regenerated", a.IP},
		{"recovery_code_used", a.IP},
		{"totp_enabled", a.IP},
		{"password_changed", a.IP},
		{"sign_in_failed", a.IP}, // wrong current password on the password change
		{"sign_out", b.IP},
		{"sign_in", b.IP},
		{"sign_in_failed", x.IP}, // wrong password at login
		{"sign_in", a.IP},        // the signup
	}
	got := []string{}
	for _, e := range events {
		got = append(got, fmt.Sprintf("%v@%v", e["type"], e["ip"]))
	}
	wantS := []string{}
	for _, w := range want {
		wantS = append(wantS, w.typ+"@"+w.ip)
	}
	if !slices.Equal(got, wantS) {
		t.Fatalf("security log (newest first):\n got  %v\n want %v", got, wantS)
	}
	for _, e := range events {
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(e["at"])); err != nil || e["user_agent"] != "devtest/1.0" {
			t.Errorf("event %v", e)
		}
	}
}

// countType counts the events of one type in the user's stored security log.
func countType(t *testing.T, userID, typ string) int {
	t.Helper()
	raw, err := devtest.Store.R.LRange(context.Background(), devtest.Store.Key("user", userID, "audit"), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range raw {
		if strings.Contains(e, `"type":"`+typ+`"`) {
			n++
		}
	}
	return n
}

// 20 wrong passwords and the right one, in parallel from 21 addresses: the attempt is counted
// before bcrypt, so at most 10 wrong ones are compared (401, one sign_in_failed each) and the
// rest are refused unread (429). The right one, if it got through, gives back only its own
// attempt: the counter is not reset, and the account stays limited after the burst.
func TestLoginBurstComparesAtMostTen(t *testing.T) {
	// Not parallel: a burst of bcrypts beside the parallel tests would run into the request
	// deadline on a small CI machine.
	devtest.SkipBurstUnderRace(t)
	_, u := signUp(t)
	email, uid := u["email"].(string), u["id"].(string)
	statuses := make([]int, 21)
	storetest.Together(len(statuses), func(i int) {
		pw := "wrong password " + strconv.Itoa(i)
		if i == 10 {
			pw = goodPassword
		}
		statuses[i] = devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": pw}).StatusCode
	})
	// On a loaded machine a request can pass its deadline (503, nothing answered): it may or may
	// not have been counted and compared, so it widens the bounds below but never the limit.
	wrong, limited, unavailable := 0, 0, 0
	for i, s := range statuses {
		switch {
		case s == 401 && i != 10:
			wrong++
		case s == 429:
			limited++
		case s == 503:
			unavailable++
		case i != 10 || s != 200:
			t.Fatalf("attempt %d: status %d (all %v)", i, s, statuses)
		}
	}
	succeeded := 0
	if statuses[10] == 200 {
		succeeded = 1
	}
	if wrong > 10 || wrong+limited+succeeded+unavailable != 21 {
		t.Fatalf("%d wrong passwords compared, %d refused: %v", wrong, limited, statuses)
	}
	if n := countType(t, uid, "sign_in_failed"); n < wrong || n > wrong+unavailable || n > 10 {
		t.Fatalf("%d sign_in_failed events for %d compared attempts (%d unanswered)", n, wrong, unavailable)
	}
	if n := counter(t, docLoginAccount, email); n < int64(21-succeeded-unavailable) || n > int64(21-succeeded) {
		t.Fatalf("login-account counter = %d, want %d (every attempt, less the success; %d unanswered)", n, 21-succeeded, unavailable)
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": "one more guess"}), 429, "rate_limited")
}
