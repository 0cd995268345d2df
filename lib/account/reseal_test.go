package account

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Rotating TOKEN_KEYS: ResealTOTP brings secrets under the new key, after which the old key
// can go and 2FA still works.
func TestResealTOTPAfterKeyRotation(t *testing.T) {
	st := storetest.New(t)
	ring := func(spec string) (config.KeyRing, *seal.Sealer) {
		r, err := config.ParseKeyRing(spec)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := seal.New(r)
		return r, s
	}
	const k1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	const k2 = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	sessRing, oldSealer := ring(k1)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := New(session.NewManager(st, sessRing, true, clock), oldSealer, sessRing)
	ctx := context.Background()
	u, err := old.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "rot@example.com", Password: "a long enough passphrase"}, web.Client{IP: "192.0.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	sess := &session.Session{UserID: u.ID}
	e, err := old.EnrolTOTP(ctx, sess, EnrolInput{Password: "a long enough passphrase"}, web.Client{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := totp.GenerateCode(e.Secret, now)
	if _, err := old.ConfirmTOTP(ctx, sess, c, web.Client{}); err != nil {
		t.Fatal(err)
	}

	_, both := ring(k2 + "," + k1)
	rotated := New(session.NewManager(st, sessRing, true, clock), both, sessRing)
	stats, err := rotated.ResealTOTP(ctx)
	if err != nil || stats.Checked != 1 || stats.Resealed != 1 {
		t.Fatalf("reseal = %+v, %v", stats, err)
	}
	if v := st.R.HGet(ctx, rotated.totpKey(u.ID), "secret").Val(); !strings.HasPrefix(v, "v1.k2.") {
		t.Fatalf("secret still sealed as %.8s", v)
	}
	for k, v := range storetest.Values(t, st) {
		if strings.Contains(k+v, e.Secret) {
			t.Fatalf("%s holds the TOTP secret in plaintext after the re-seal", k)
		}
	}
	if stats, _ := rotated.ResealTOTP(ctx); stats.Resealed != 0 {
		t.Fatal("a second run re-sealed again")
	}
	_, onlyNew := ring(k2)
	now = now.Add(time.Minute)
	fresh := New(session.NewManager(st, sessRing, true, clock), onlyNew, sessRing)
	code, _ := totp.GenerateCode(e.Secret, now)
	if err := fresh.checkSecondFactor(ctx, u.ID, SecondFactor{Code: code}, web.Client{}); err != nil {
		t.Fatalf("2FA after removing the old key: %v", err)
	}
}
