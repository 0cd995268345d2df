package session

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trymetriqs/metriqs/lib/config"
)

func ring(t testing.TB, spec string) config.KeyRing {
	t.Helper()
	r, err := config.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const (
	k1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	k2 = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestParseAcceptsOwnToken(t *testing.T) {
	r := ring(t, k1)
	tok, err := Sign(r, AudienceSession, "user1", "sess1", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(r, AudienceSession, tok, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user1" || c.SessionID != "sess1" {
		t.Fatalf("claims = %+v", c)
	}
}

// forge signs arbitrary claims with the given method and key, to build the tokens an attacker
// would try.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseRefusesTampering(t *testing.T) {
	r := ring(t, k1)
	secret := r.Active().Secret
	good, _ := Sign(r, AudienceSession, "user1", "sess1", t0, time.Hour)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	evil := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "user1", "user2", 1)))
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": issuer, "aud": AudienceSession, "sub": "user1", "sid": "s", "iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix()}
	}
	without := func(k string) jwt.MapClaims { c := valid(); delete(c, k); return c }
	with := func(k string, v any) jwt.MapClaims { c := valid(); c[k] = v; return c }

	cases := map[string]string{
		"payload changed":   parts[0] + "." + evil + "." + parts[2],
		"signature changed": parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"alg none":          forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", valid()),
		"HS512":             forge(t, jwt.SigningMethodHS512, secret, "k1", valid()),
		"unknown kid":       forge(t, jwt.SigningMethodHS256, secret, "k9", valid()),
		"no kid":            forge(t, jwt.SigningMethodHS256, secret, "", valid()),
		"other key":         forge(t, jwt.SigningMethodHS256, ring(t, k2).Active().Secret, "k1", valid()),
		"expired":           forge(t, jwt.SigningMethodHS256, secret, "k1", with("exp", t0.Add(-time.Second).Unix())),
		"no exp":            forge(t, jwt.SigningMethodHS256, secret, "k1", without("exp")),
		"no iat":            forge(t, jwt.SigningMethodHS256, secret, "k1", without("iat")),
		"iat in future":     forge(t, jwt.SigningMethodHS256, secret, "k1", with("iat", t0.Add(time.Hour).Unix())),
		"wrong audience":    forge(t, jwt.SigningMethodHS256, secret, "k1", with("aud", AudienceMFA)),
		"wrong issuer":      forge(t, jwt.SigningMethodHS256, secret, "k1", with("iss", "someone")),
		"no sid":            forge(t, jwt.SigningMethodHS256, secret, "k1", without("sid")),
		"garbage":           "not.a.token",
		"empty":             "",
	}
	for name, tok := range cases {
		if _, err := Parse(r, AudienceSession, tok, t0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An MFA-pending token never opens a session, though the same keys sign it.
	mfa, _ := Sign(r, AudienceMFA, "user1", "p1", t0, time.Minute)
	if _, err := Parse(r, AudienceSession, mfa, t0); err == nil {
		t.Error("MFA token accepted as a session token")
	}
}

// Rotating in a new key keeps tokens of the old one valid; removing a key ends them.
func TestKeyRotation(t *testing.T) {
	old := ring(t, k1)
	tok, _ := Sign(old, AudienceSession, "u", "s", t0, time.Hour)
	rotated := ring(t, k2+","+k1)
	if _, err := Parse(rotated, AudienceSession, tok, t0); err != nil {
		t.Fatalf("token of the previous key refused after rotation: %v", err)
	}
	fresh, _ := Sign(rotated, AudienceSession, "u", "s", t0, time.Hour)
	if p, _, _ := jwt.NewParser().ParseUnverified(fresh, jwt.MapClaims{}); p.Header["kid"] != "k2" {
		t.Fatalf("new tokens signed with kid %v, want k2", p.Header["kid"])
	}
	if _, err := Parse(ring(t, k2), AudienceSession, tok, t0); err == nil {
		t.Fatal("token of a removed key accepted")
	}
}
