// Package identity puts what people type to identify themselves — the e-mail address that is
// their account's key, the name shown for them — into the one form Metriqs stores and compares,
// and refuses characters that would make two strings look alike or read differently from how
// they are stored.
//
// Both are normalized to NFKC (Unicode UAX #15, compatibility composition), which folds the
// fullwidth ｘ to x and ﬁ to fi, so that strings a person cannot tell apart are one string; an
// address is then lower-cased. Before that, control characters (Unicode category Cc) and format
// characters (Cf: bidi overrides such as U+202E, zero-width spaces and joiners, the soft hyphen)
// are refused outright with a 400 naming the field, not stripped: they are invisible or reorder
// text, so a name or address holding one shows as another (Trojan Source, CVE-2021-42574;
// Unicode TR 36 §2). docs/security.md says why NFKC and these rules rather than the PRECIS
// profiles of RFC 8265/8266 (x/text's precis links its language and case tables: +0.43 MB to
// every account function, against +0.11 MB).
package identity

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func nfkc(s string) string { return norm.NFKC.String(s) }

// refused reports a code point no name or address may hold: controls and format characters,
// and line and paragraph separators, private-use code points and surrogates, which have no
// place in either and render unpredictably.
func refused(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// checkRunes is the 400 for invalid UTF-8 or a refused code point, naming field and the code point.
func checkRunes(field, s string) error {
	if !utf8.ValidString(s) {
		return problem.Invalid(field, fmt.Sprintf("Field %q is not valid UTF-8.", field))
	}
	for _, r := range s {
		if refused(r) {
			return problem.Invalid(field, fmt.Sprintf("Field %q contains an invisible or control character (U+%04X), which is not allowed.", field, r))
		}
	}
	return nil
}
