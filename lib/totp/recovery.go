package totp

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"

	"github.com/trymetriqs/metriqs/lib/ids"
)

// RecoveryCodes is how many one-time codes a user gets.
const RecoveryCodes = 10

var crockford = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns fresh codes like "k7qd-3m9x-a2bc-f8tz": 80 random bits each, so a
// stored SHA-256 of one cannot be reversed by guessing, and bcrypt's cost is not needed.
func NewRecoveryCodes() []string {
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		s := crockford.EncodeToString(ids.Random(10)) // 16 characters
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	}
	return codes
}

// HashRecoveryCode is the stored form of a code, after normalising what a person may type:
// case, spaces and dashes, and the letters Crockford's alphabet reads as digits.
func HashRecoveryCode(code string) string {
	c := strings.ToLower(code)
	c = strings.NewReplacer("-", "", " ", "", "o", "0", "i", "1", "l", "1").Replace(c)
	sum := sha256.Sum256([]byte("metriqs/recovery/v1:" + c))
	return hex.EncodeToString(sum[:])
}
