// Package totp is the arithmetic of two-factor sign-in: RFC 6238 time-based codes (through
// pquerna/otp), enrolment keys with their otpauth URI, and one-time recovery codes. It stores
// nothing; lib/account keeps the state. The QR code of an enrolment is lib/totp/qr's.
package totp

import (
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Parameters every authenticator app understands (Key Uri Format): SHA1, 6 digits, 30 s.
const (
	Issuer     = "Metriqs"
	Period     = 30
	Digits     = 6
	SecretSize = 20 // 160 bits, RFC 4226 §4's recommendation
	// Skew accepts the previous and next step, for clocks up to 30 s apart (RFC 6238 §5.2).
	Skew = 1
)

var opts = totp.ValidateOpts{Period: Period, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Key is a new TOTP secret as shown to the user at enrolment.
type Key struct {
	Secret string // base32, no padding
	URL    string // otpauth://totp/Metriqs:email?secret=…&issuer=Metriqs&…
}

// NewKey makes a fresh secret for account (the user's e-mail).
func NewKey(account string) (*Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: Issuer, AccountName: account, Period: Period, SecretSize: SecretSize,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("totp: generate: %w", err)
	}
	return &Key{Secret: k.Secret(), URL: k.URL()}, nil
}

// Step is the RFC 6238 time step that t falls in.
func Step(t time.Time) int64 { return t.Unix() / Period }

// Match checks code against secret at t, within ±Skew steps, and returns the step it matched,
// so the caller can refuse a second use of that step (RFC 6238 §5.2: the verifier must not
// accept the same OTP twice; the library does not remember).
func Match(secret, code string, t time.Time) (step int64, ok bool) {
	if !WellFormed(code) {
		return 0, false
	}
	now := Step(t)
	matched := int64(-1)
	// Check every candidate step, not stopping at the first match, so the time taken does not
	// depend on which step matched.
	for s := now - Skew; s <= now+Skew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*Period, 0), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && matched < 0 {
			matched = s
		}
	}
	return matched, matched >= 0
}

// WellFormed reports whether code is six ASCII digits.
func WellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
