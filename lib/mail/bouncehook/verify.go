package bouncehook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a delivery's timestamp may be from our clock: the 5 minutes the
// Standard Webhooks specification recommends. An older delivery is refused, so a captured one
// cannot be replayed later; a replay within it is caught by its id (Hook.Receive).
const Tolerance = 5 * time.Minute

// ErrSignature is every refusal of a delivery's signature: missing headers, a timestamp out of
// Tolerance, no signature made with a configured secret.
var ErrSignature = errors.New("bouncehook: bad signature")

// signed are the three headers of the Standard Webhooks specification; Svix, which signs
// Resend's webhooks, sends the same values under svix-* names.
func signed(h http.Header) (id, ts, sigs string) {
	get := func(name string) string {
		if v := h.Get("Webhook-" + name); v != "" {
			return v
		}
		return h.Get("Svix-" + name)
	}
	return get("Id"), get("Timestamp"), get("Signature")
}

// Verify checks a delivery as the Standard Webhooks specification defines it: the signature
// header lists "v1,<base64 HMAC-SHA256>" values over "<id>.<timestamp>.<body>", keyed by the
// base64 part of a "whsec_…" secret; any one made with any configured secret (a rolled one
// too) passes, compared in constant time. It returns the delivery id.
func Verify(h http.Header, body []byte, secrets []string, now time.Time) (string, error) {
	id, ts, sigs := signed(h)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || sigs == "" || err != nil {
		return "", ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return "", ErrSignature
	}
	for _, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil || len(key) == 0 {
			continue
		}
		want := Sign(key, id, ts, body)
		for _, s := range strings.Fields(sigs) {
			v, sig, ok := strings.Cut(s, ",")
			if ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
				return id, nil
			}
		}
	}
	return "", ErrSignature
}

// Sign is the v1 signature of a delivery (base64 of HMAC-SHA256 over id.timestamp.body).
func Sign(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
