package totp

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// RFC 6238 Appendix B test vectors (SHA1, secret "12345678901234567890"), truncated to 6
// digits as authenticator apps use them.
func TestMatchRFC6238Vectors(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	vectors := map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037"}
	for unix, code := range vectors {
		at := time.Unix(unix, 0)
		step, ok := Match(secret, code, at)
		if !ok || step != Step(at) {
			t.Errorf("t=%d code %s: ok=%v step=%d", unix, code, ok, step)
		}
	}
}

func TestMatchSkewAndFormat(t *testing.T) {
	k, err := NewKey("ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 15, 0, time.UTC)
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(k.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for offset, want := range map[time.Duration]bool{0: true, -30 * time.Second: true, 30 * time.Second: true, -60 * time.Second: false, 60 * time.Second: false} {
		step, ok := Match(k.Secret, code(now.Add(offset)), now)
		if ok != want {
			t.Errorf("code from %v: ok = %v, want %v", offset, ok, want)
		}
		if ok && step != Step(now.Add(offset)) {
			t.Errorf("code from %v matched step %d, want %d", offset, step, Step(now.Add(offset)))
		}
	}
	good := code(now)
	for _, bad := range []string{"", "12345", "1234567", "12a456", " " + good[:5], "١٢٣٤٥٦"} {
		if _, ok := Match(k.Secret, bad, now); ok {
			t.Errorf("malformed code %q accepted", bad)
		}
	}
}

// The enrolment URI must be what authenticator apps expect (Key Uri Format): issuer in the
// label and as a parameter, SHA1, 6 digits, 30 s, a 160-bit secret.
func TestKeyURIFormat(t *testing.T) {
	k, err := NewKey("ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(k.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Metriqs:ada@example.com" {
		t.Errorf("label = %s://%s%s", u.Scheme, u.Host, u.Path)
	}
	if q.Get("issuer") != "Metriqs" || q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("parameters = %v", q)
	}
	if q.Get("secret") != k.Secret || len(k.Secret) != 32 || strings.Contains(k.Secret, "=") {
		t.Errorf("secret = %q (want 32 base32 characters: 160 bits)", k.Secret)
	}
}

// Codes computed by an implementation nobody here wrote: Debian's oathtool.
func TestMatchOathtool(t *testing.T) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		t.Skip("oathtool not installed (apt-get install oathtool); CI installs it")
	}
	k, err := NewKey("ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	out, err := exec.Command("oathtool", "--totp", "-b", "--now", at.Format("2006-01-02 15:04:05 UTC"), k.Secret).Output()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Match(k.Secret, strings.TrimSpace(string(out)), at); !ok {
		t.Fatalf("oathtool's code %q refused", out)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes()
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("bad or repeated code %q", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	c := codes[0]
	variants := []string{strings.ToUpper(c), strings.ReplaceAll(c, "-", ""), " " + strings.ReplaceAll(c, "-", " ") + " "}
	for _, v := range variants {
		if HashRecoveryCode(v) != HashRecoveryCode(c) {
			t.Errorf("%q does not normalise to %q", v, c)
		}
	}
	if HashRecoveryCode(codes[0]) == HashRecoveryCode(codes[1]) || strings.Contains(HashRecoveryCode(c), strings.ReplaceAll(c, "-", "")) {
		t.Error("hash collides or reveals the code")
	}
}
