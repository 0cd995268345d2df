package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// MaxName is the longest display name, in characters, after normalization.
const MaxName = 100

var (
	errNameLong  = problem.Unprocessable("invalid_name", "name", "Use at most 100 characters for your name.")
	errNameRunes = problem.Unprocessable("invalid_name", "name", "The name contains characters that are not allowed.")
)

// Name returns a display name as stored: optional (empty stays empty), NFKC, every run of
// spaces one ASCII space, the ends trimmed (as RFC 8266's Nickname profile does), case kept.
// Unassigned code points are refused (422): what they will mean is not yet known.
func Name(raw string) (string, error) {
	n := strings.TrimSpace(raw)
	if n == "" {
		return "", nil
	}
	if err := checkRunes("name", n); err != nil {
		return "", err
	}
	if len(n) > 4*4*MaxName { // NFKC can grow a string; bound the work before it runs
		return "", errNameLong
	}
	n = strings.Join(strings.Fields(nfkc(n)), " ")
	if strings.IndexFunc(n, unassigned) >= 0 {
		return "", errNameRunes
	}
	if utf8.RuneCountInString(n) > MaxName {
		return "", errNameLong
	}
	return n, nil
}

// unassigned reports a code point in no category Go's Unicode tables know (Cn).
func unassigned(r rune) bool {
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}
