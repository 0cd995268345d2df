package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// code computes the current TOTP code the way a user's phone would. Where Debian's oathtool
// is installed (CI installs it), the code comes from that independent implementation.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	if _, err := exec.LookPath("oathtool"); err == nil {
		out, err := exec.Command("oathtool", "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable2FA turns 2FA on for the client's account and returns the secret and recovery codes.
func enable2FA(t *testing.T, c *devtest.Client) (string, []string) {
	t.Helper()
	return enable2FAWith(t, c, goodPassword)
}

// enable2FAWith is enable2FA for an account whose password is pw.
func enable2FAWith(t *testing.T, c *devtest.Client, pw string) (string, []string) {
	t.Helper()
	r := c.Do("POST", "/api/account/totp", map[string]string{"password": pw})
	devtest.Want(t, r, 200, "")
	var e struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
		QRPNG      string `json:"qr_png"`
	}
	r.JSON(&e)
	if len(e.Secret) != 32 || !strings.HasPrefix(e.OTPAuthURL, "otpauth://totp/Metriqs:") || !strings.HasPrefix(e.QRPNG, "data:image/png;base64,") {
		t.Fatalf("enrolment = %+v", e)
	}
	r = c.Do("POST", "/api/account/totp/confirm", map[string]string{"code": code(t, e.Secret, time.Now())})
	devtest.Want(t, r, 200, "")
	var out struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(&out)
	if len(out.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes = %v", out.RecoveryCodes)
	}
	return e.Secret, out.RecoveryCodes
}

// passwordStep signs in with the password on a fresh client and expects the MFA step.
func passwordStep(t *testing.T, email string) *devtest.Client {
	t.Helper()
	c := devtest.NewClient(t)
	r := c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword})
	devtest.Want(t, r, 200, "")
	if r.Map()["mfa_required"] != true || c.Cookie("mq_session") != nil {
		t.Fatalf("login with 2FA on: %s, session cookie %v", r.Body, c.Cookie("mq_session"))
	}
	if ck := c.Cookie("mq_mfa"); ck == nil || !ck.HttpOnly || !ck.Secure || ck.MaxAge > 300 {
		t.Fatalf("pending cookie = %+v", ck)
	}
	devtest.Want(t, c.Do("GET", "/api/me", nil), 401, "unauthenticated")
	return c
}

func TestTwoFactorSignIn(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	secret, recovery := enable2FA(t, c)
	email := u["email"].(string)

	r := c.Do("GET", "/api/me", nil)
	if r.Map()["user"].(map[string]any)["totp_enabled"] != true {
		t.Fatalf("me after enabling: %s", r.Body)
	}
	// Nothing about the secret is stored in plaintext: it is sealed.
	for k, v := range devtest.Values(t) {
		if strings.Contains(v, secret) {
			t.Fatalf("key %s holds the TOTP secret in plaintext", k)
		}
		for _, rc := range recovery {
			if strings.Contains(v, rc) || strings.Contains(v, strings.ReplaceAll(rc, "-", "")) {
				t.Fatalf("key %s holds a recovery code in plaintext", k)
			}
		}
	}

	// Sign in with a code. The code that confirmed enrolment was used in this time step, so a
	// code of the next step is the first one that can work now (±1 step of skew is accepted).
	b := passwordStep(t, email)
	next := code(t, secret, time.Now().Add(30*time.Second))
	r = b.Do("POST", "/api/auth/mfa", map[string]string{"code": next})
	devtest.Want(t, r, 200, "")
	if b.Cookie("mq_session") == nil || b.Cookie("mq_mfa") != nil {
		t.Fatal("MFA step did not swap the pending cookie for a session")
	}
	sessions := b.Do("GET", "/api/account/sessions", nil).Map()["sessions"].([]any)
	for _, s := range sessions {
		if s.(map[string]any)["current"] == true && s.(map[string]any)["mfa"] != true {
			t.Fatalf("session made with 2FA not marked: %v", s)
		}
	}

	// Replay: the same code again, within its window, is refused.
	c2 := passwordStep(t, email)
	devtest.Want(t, c2.Do("POST", "/api/auth/mfa", map[string]string{"code": next}), 401, "invalid_code")

	// A recovery code works once.
	devtest.Want(t, c2.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": strings.ToUpper(recovery[0])}), 200, "")
	c3 := passwordStep(t, email)
	devtest.Want(t, c3.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": recovery[0]}), 401, "invalid_code")

	types := typesOf(securityLog(t, c))
	for _, want := range []string{"totp_enabled", "sign_in", "recovery_code_used", "totp_failed"} {
		if !slices.Contains(types, want) {
			t.Errorf("security log lacks %s: %v", want, types)
		}
	}
}

func TestTwoFactorBadInput(t *testing.T) {
	// Not parallel: it compares a snapshot of all stored data.
	c, u := signUp(t)
	email := u["email"].(string)
	// Confirm without enrolment.
	devtest.Want(t, c.Do("POST", "/api/account/totp/confirm", map[string]string{"code": "123456"}), 409, "no_pending_enrolment")
	secret, _ := enable2FA(t, c)
	// Enrol while already on.
	devtest.Want(t, c.Do("POST", "/api/account/totp", map[string]string{"password": goodPassword}), 409, "totp_already_enabled")

	// MFA step without a pending sign-in.
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/auth/mfa", map[string]string{"code": "123456"}), 401, "mfa_expired")

	b := passwordStep(t, email)
	before := devtest.Snapshot(t, "user:", "sess:", "email:")
	now := time.Now()
	for name, body := range map[string]any{
		"previous-but-one step": map[string]string{"code": code(t, secret, now.Add(-90*time.Second))},
		"next-but-one step":     map[string]string{"code": code(t, secret, now.Add(90*time.Second))},
		"non-numeric":           map[string]string{"code": "12a4b6"},
		"too short":             map[string]string{"code": "12345"},
	} {
		r := b.Do("POST", "/api/auth/mfa", body)
		if r.StatusCode != 401 || r.ErrorCode() != "invalid_code" {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	for name, body := range map[string]any{
		"neither":    map[string]string{},
		"both":       map[string]string{"code": "123456", "recovery_code": "x"},
		"wrong type": map[string]any{"code": 123456},
	} {
		if r := b.Do("POST", "/api/auth/mfa", body); r.StatusCode != 400 || r.ErrorCode() != "invalid_request" {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	// Four wrong codes so far; the fifth attempt is the last the pending sign-in allows, and
	// after it even a right code needs the password again.
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"code": "000000"}), 401, "invalid_code")
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"code": code(t, secret, now.Add(30*time.Second))}), 401, "mfa_expired")
	after := devtest.Snapshot(t, "user:", "sess:", "email:")
	for k := range after {
		if strings.Contains(k, ":sess:") || strings.HasPrefix(k[len(devtest.Store.Prefix()):], "sess:") {
			if _, ok := before[k]; !ok {
				t.Fatalf("refused MFA attempts created session %s", k)
			}
		}
	}

	// A pending cookie used twice: the first use wins, the replayed cookie is dead.
	d := passwordStep(t, email)
	pending := d.Cookie("mq_mfa")
	devtest.Want(t, d.Do("POST", "/api/auth/mfa", map[string]string{"code": code(t, secret, time.Now().Add(30*time.Second))}), 200, "")
	replay := devtest.NewClient(t)
	replay.SetCookie(pending)
	devtest.Want(t, replay.Do("POST", "/api/auth/mfa", map[string]string{"code": code(t, secret, time.Now())}), 401, "mfa_expired")

	// Disable with a wrong password, then with a wrong code: 2FA stays on.
	devtest.Want(t, c.Do("DELETE", "/api/account/totp", map[string]string{"password": "wrong password here", "code": code(t, secret, time.Now())}), 403, "invalid_password")
	devtest.Want(t, c.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "code": "000000"}), 403, "invalid_code")
	if c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)["totp_enabled"] != true {
		t.Fatal("2FA turned off by a refused request")
	}
}

func TestDisableAndRegenerate(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	secret, old := enable2FA(t, c)
	// shared/API.md's shape: a recovery code in "code" works too.
	r := c.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword, "code": old[0]})
	devtest.Want(t, r, 200, "")
	fresh := r.Map()["recovery_codes"].([]any)
	if len(fresh) != 10 {
		t.Fatalf("regenerated %d codes", len(fresh))
	}
	// The old set is void; the new one works.
	b := passwordStep(t, u["email"].(string))
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": old[1]}), 401, "invalid_code")
	devtest.Want(t, b.Do("POST", "/api/auth/mfa", map[string]string{"recovery_code": fresh[0].(string)}), 200, "")

	devtest.Want(t, c.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "code": code(t, secret, time.Now().Add(30*time.Second))}), 204, "")
	if c.Do("GET", "/api/me", nil).Map()["user"].(map[string]any)["totp_enabled"] != false {
		t.Fatal("2FA still on")
	}
	// Without 2FA, the password alone signs in again, and the old recovery codes are gone.
	e := devtest.NewClient(t)
	r = e.Do("POST", "/api/auth/login", map[string]string{"email": u["email"].(string), "password": goodPassword})
	devtest.Want(t, r, 200, "")
	if r.Map()["user"] == nil {
		t.Fatalf("login after disabling: %s", r.Body)
	}
	for k := range devtest.Snapshot(t, ":recovery", ":totp") {
		if strings.Contains(k, u["id"].(string)) {
			t.Fatalf("2FA state left after disabling: %s", k)
		}
	}
}

// Someone who knew the old password and stands at the code step must not finish the sign-in
// after the owner changes the password, signs out the other sessions, turns 2FA off or
// deletes the account: each voids the pending sign-ins with the sessions.
func TestPendingSignInRevokedWithSessions(t *testing.T) {
	t.Parallel()
	for name, act := range map[string]func(c *devtest.Client, recovery string) *devtest.Response{
		"password change": func(c *devtest.Client, _ string) *devtest.Response {
			return c.Do("POST", "/api/account/password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"})
		},
		"sign out other sessions": func(c *devtest.Client, _ string) *devtest.Response {
			return c.Do("DELETE", "/api/account/sessions?id=others", nil)
		},
		"2FA off": func(c *devtest.Client, recovery string) *devtest.Response {
			return c.Do("DELETE", "/api/account/totp", map[string]string{"password": goodPassword, "recovery_code": recovery})
		},
		"account deletion": func(c *devtest.Client, recovery string) *devtest.Response {
			return c.Do("POST", "/api/account/delete", map[string]string{"password": goodPassword, "recovery_code": recovery})
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, u := signUp(t)
			secret, recovery := enable2FA(t, c)
			uid := u["id"].(string)
			attacker := passwordStep(t, u["email"].(string))
			if r := act(c, recovery[0]); r.StatusCode != 204 && r.StatusCode != 200 && r.StatusCode != 202 {
				t.Fatalf("%s: %d %s", name, r.StatusCode, r.Body)
			}
			sessions := devtest.Store.R.SCard(context.Background(), devtest.Store.Key("user", uid, "sessions")).Val()
			r := attacker.Do("POST", "/api/auth/mfa", map[string]string{"code": code(t, secret, time.Now().Add(30*time.Second))})
			devtest.Want(t, r, 401, "mfa_expired")
			if attacker.Cookie("mq_session") != nil {
				t.Fatal("the attacker got a session cookie")
			}
			if n := devtest.Store.R.SCard(context.Background(), devtest.Store.Key("user", uid, "sessions")).Val(); n != sessions {
				t.Fatalf("sessions went from %d to %d", sessions, n)
			}
			if keys := devtest.Store.R.Keys(context.Background(), devtest.Store.Key("mfa", "*")).Val(); slices.ContainsFunc(keys, func(k string) bool {
				return devtest.Store.R.HGet(context.Background(), k, "uid").Val() == uid
			}) {
				t.Fatal("the refused pending sign-in is still stored")
			}
		})
	}
}

// Starting 2FA set-up needs the password (a hijacked session must not enrol its own
// authenticator, ASVS 5.0 7.5.1), and new recovery codes need the password and a second
// factor; a refused request stores nothing.
func TestTwoFactorSettingsNeedReauthentication(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	uid := u["id"].(string)
	unchangedFor(t, uid, func() {
		devtest.Want(t, c.Do("POST", "/api/account/totp", nil), 400, "invalid_request")
		devtest.Want(t, c.Do("POST", "/api/account/totp", map[string]string{}), 400, "invalid_request")
		devtest.Want(t, c.Do("POST", "/api/account/totp", map[string]string{"password": "not my password"}), 403, "invalid_password")
	})
	secret, recovery := enable2FA(t, c)
	unchangedFor(t, uid, func() {
		devtest.Want(t, c.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword}), 400, "invalid_request")
		devtest.Want(t, c.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword, "code": wrongCode(t, secret)}), 403, "invalid_code")
	})
	r := c.Do("POST", "/api/account/recovery-codes", map[string]string{"password": goodPassword, "code": code(t, secret, time.Now().Add(30*time.Second))})
	devtest.Want(t, r, 200, "")
	if fresh := r.Map()["recovery_codes"].([]any); len(fresh) != 10 || slices.Contains(fresh, any(recovery[0])) {
		t.Fatalf("regenerated codes = %v", fresh)
	}
}
