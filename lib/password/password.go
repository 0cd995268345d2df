// Package password is how Metriqs stores and checks passwords: bcrypt at cost 12 (the
// security page's promise), over a fixed-length pre-hash so that bcrypt's 72-byte input limit
// never silently truncates a long or multi-byte password, and a length-only policy (NIST SP
// 800-63B §5.1.1.2: no composition rules, refuse known-common passwords).
package password

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Cost is bcrypt's work factor, as published on the security page.
const Cost = 12

// Length limits, in characters (Unicode code points).
const (
	MinLength = 8
	MaxLength = 128
)

// preHashKey separates our pre-hash from a bare SHA-256, so hashes leaked from other sites
// (unsalted SHA-256 of passwords) cannot be tested against our bcrypt values ("shucking").
var preHashKey = []byte("metriqs/password/v1")

// preHash maps any password to 44 ASCII bytes: HMAC-SHA256, base64. bcrypt sees all of it,
// whatever the password's length, and no NUL byte can end its input early.
func preHash(pw string) []byte {
	m := hmac.New(sha256.New, preHashKey)
	m.Write([]byte(pw))
	return []byte(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// Hash returns the bcrypt hash to store for pw.
func Hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(preHash(pw), Cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// Matches reports whether pw is the password behind hash. It always does the full bcrypt
// work, so callers can compare against DummyHash to take the same time for unknown accounts.
func Matches(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), preHash(pw)) == nil
}

// DummyHash is a cost-12 hash of a random value nobody knows. Login compares the offered
// password with it when the e-mail is unknown, so that an unknown e-mail and a wrong password
// take the same time (OWASP ASVS 2.2.x / user enumeration).
const DummyHash = "$2a$12$.xHmNfQBpdO0X56Z6ZFJb.g6s4Oy6nn42V6etMqWNlfmF8w/BjKW."

// Check applies the policy to a new password: 8 to 128 characters, valid UTF-8, not one of the
// most common passwords, and not the account's own e-mail address. The error is a 400 or 422
// problem naming field.
func Check(field, pw, email string) error {
	if !utf8.ValidString(pw) {
		return problem.Invalid(field, "The password must be valid UTF-8 text.")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return problem.Unprocessable("weak_password", field, "Use at least 8 characters.")
	case n > MaxLength:
		return problem.Unprocessable("weak_password", field, "Use at most 128 characters.")
	case isCommon(pw):
		return problem.Unprocessable("weak_password", field, "This password is among the most commonly used ones. Choose another.")
	case email != "" && strings.EqualFold(strings.TrimSpace(pw), email):
		return problem.Unprocessable("weak_password", field, "Do not use your e-mail address as your password.")
	}
	return nil
}

//go:embed common.txt
var commonList string

var (
	commonOnce sync.Once
	common     map[string]bool
)

func isCommon(pw string) bool {
	commonOnce.Do(func() {
		common = map[string]bool{}
		sc := bufio.NewScanner(strings.NewReader(commonList))
		for sc.Scan() {
			if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
				common[strings.ToLower(w)] = true
			}
		}
	})
	return common[strings.ToLower(pw)]
}

// ErrMismatch is what a caller returns when an offered password is wrong.
var ErrMismatch = errors.New("password: mismatch")

// Wrong is the 403 for a wrong password re-entered on an authenticated request (a 401 would
// read as "signed out" to the pages).
func Wrong(field string) error {
	return &problem.Error{Status: http.StatusForbidden, Code: "invalid_password", Message: "The password is not correct.", Field: field}
}
