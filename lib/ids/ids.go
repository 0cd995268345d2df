// Package ids makes the opaque identifiers and secrets Metriqs hands out.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"strings"
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns a random 128-bit identifier: 26 lower-case URL-safe characters.
func New() string {
	return lowerBase32.EncodeToString(Random(16))
}

// Token returns n random bytes as unpadded base64url, for secrets sent to a browser.
func Token(n int) string {
	return base64.RawURLEncoding.EncodeToString(Random(n))
}

// Random returns n bytes from the operating system's CSPRNG. crypto/rand never fails on the
// platforms Go supports (it panics rather than return short).
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Valid reports whether s looks like an id New made: a cheap guard before using it in a key.
func Valid(s string) bool {
	if len(s) != 26 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz234567") == ""
}
