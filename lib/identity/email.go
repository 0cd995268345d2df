package identity

import (
	"net/mail"
	"strings"
	"unicode"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// maxEmail is RFC 5321's limit on a forward path (256 octets, less the angle brackets).
const maxEmail = 254

var errEmail = problem.Unprocessable("invalid_email", "email", "Enter a valid e-mail address, like ada@example.com.")

// Email returns the one form an address is stored and looked up under: trimmed, NFKC, lower-
// cased (and NFKC again, which lower-casing can disturb), so ADA@x.com, ａｄａ@x.com and
// ada@x.com are one account. RFC 5321 lets a server treat the local part case-sensitively, but
// no mainstream provider does, and two accounts for one mailbox would be a support and security
// problem. Beyond ASCII only letters, marks and digits are allowed (as PRECIS's IdentifierClass
// would: no symbols, no unassigned code points), and the result must parse as a bare address.
func Email(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	if e == "" {
		return "", problem.Invalid("email", `Field "email" is required.`)
	}
	if err := checkRunes("email", e); err != nil {
		return "", err
	}
	if len(e) > 4*maxEmail { // bound the work before normalizing
		return "", errEmail
	}
	e = nfkc(strings.ToLower(nfkc(e)))
	if strings.IndexFunc(e, notAddressRune) >= 0 || !bareAddress(e) {
		return "", errEmail
	}
	return e, nil
}

// notAddressRune: outside ASCII, an address holds letters, combining marks and digits only.
func notAddressRune(r rune) bool {
	return r > unicode.MaxASCII && !unicode.In(r, unicode.L, unicode.M, unicode.N)
}

// bareAddress accepts user@domain.tld with nothing around it: no display name, no quotes or
// spaces, a dot in the domain, at most maxEmail bytes.
func bareAddress(e string) bool {
	a, err := mail.ParseAddress(e)
	at := strings.LastIndexByte(e, '@')
	return err == nil && a.Name == "" && a.Address == e && len(e) <= maxEmail && at >= 1 &&
		strings.Contains(e[at+1:], ".") && !strings.ContainsAny(e, " <>\"")
}
