package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a webhook's signed timestamp may be from now: Stripe's own libraries
// use five minutes, which bounds how long a captured delivery can be replayed.
const Tolerance = 5 * time.Minute

// ErrSignature is every reason a webhook is refused: no header, a malformed one, a stale or
// future timestamp, or no v1 signature matching any secret.
var ErrSignature = errors.New("billing: bad Stripe-Signature")

// Verify checks Stripe's signature header ("t=…,v1=…[,v1=…]") over the raw payload, as
// https://docs.stripe.com/webhooks#verify-manually describes: HMAC-SHA256 of "t.payload"
// under the endpoint secret, hex-encoded. Every v1 is tried (Stripe sends one per active
// secret while a secret is rolled), against every secret we hold (the current and the
// previous one); v0 and other schemes are ignored, never accepted.
func Verify(payload []byte, header string, secrets []string, now time.Time) error {
	ts, sigs := parseSignature(header)
	if ts == 0 || len(sigs) == 0 {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrSignature
	}
	for _, secret := range secrets {
		want := Sign(payload, secret, time.Unix(ts, 0))
		for _, sig := range sigs {
			if hmac.Equal(want, sig) {
				return nil
			}
		}
	}
	return ErrSignature
}

// Sign is the v1 signature of payload at t (the local sandbox signs with it, as Stripe does).
func Sign(payload []byte, secret string, t time.Time) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(payload)
	return m.Sum(nil)
}

// SignatureHeader is the Stripe-Signature header for payload signed at t with secret.
func SignatureHeader(payload []byte, secret string, t time.Time) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(Sign(payload, secret, t))
}

func parseSignature(header string) (ts int64, sigs [][]byte) {
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if ts != 0 {
				return 0, nil // two timestamps: which one was signed is ambiguous
			}
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	return ts, sigs
}
