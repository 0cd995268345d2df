package schedule

import (
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Owner is who edits a schedule: the account whose address is the default recipient and who
// is named as the adder of every other one.
type Owner struct {
	Email string
	Name  string
	// Unverified: the owner has not proven their address yet. Such an owner may only mail
	// themselves: otherwise a throwaway signup could mail strangers from our domain.
	Unverified bool
}

// maxAddressLen is RFC 5321's limit on a forward path (§4.5.3.1.3).
const maxAddressLen = 254

// normalizeAddress checks one recipient and returns its canonical form: the bare address
// (no display name), with the domain lower-cased — domains are case-insensitive, local parts
// are not (RFC 5321 §2.4), so only the domain is folded.
func normalizeAddress(raw string) (string, error) {
	if strings.ContainsAny(raw, "\r\n") {
		return "", problem.Unprocessable("invalid_recipient", "recipients", "A recipient address cannot contain a line break.")
	}
	a, err := mail.ParseAddress(strings.TrimSpace(raw))
	if err != nil || a.Name != "" || len(a.Address) > maxAddressLen {
		return "", problem.Unprocessable("invalid_recipient", "recipients", fmt.Sprintf("%q is not an e-mail address.", raw))
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(domain, "[]") {
		return "", problem.Unprocessable("invalid_recipient", "recipients", fmt.Sprintf("%q is not an e-mail address.", raw))
	}
	return local + "@" + strings.ToLower(domain), nil
}

// sameAddress says whether two canonical addresses are one mailbox for our purposes: local
// parts compared without case too, since real providers ignore it and two entries differing
// only in case would send twice.
func sameAddress(a, b string) bool { return AddressKey(a) == AddressKey(b) }

// AddressKey is the form in which addresses that sameAddress takes for one mailbox are
// equal: for sets and map keys of addresses (delivery's unsubscribed list).
func AddressKey(addr string) string { return strings.ToLower(addr) }

// normalizeRecipients checks a recipients list: at least one, duplicates dropped, at most
// besides the owner's address (lim.Recipients).
func normalizeRecipients(list []string, owner Owner, lim Limits) ([]string, error) {
	if len(list) == 0 {
		return nil, problem.Unprocessable("invalid_recipient", "recipients", "A schedule needs at least one recipient.")
	}
	out := make([]string, 0, len(list))
	others := 0
	for _, raw := range list {
		addr, err := normalizeAddress(raw)
		if err != nil {
			return nil, err
		}
		if containsAddress(out, addr) {
			continue
		}
		if !sameAddress(addr, owner.Email) {
			others++
		}
		out = append(out, addr)
	}
	if others > lim.Recipients {
		return nil, errTooManyRecipients(lim)
	}
	if others > 0 && owner.Unverified {
		return nil, errUnverifiedOwner()
	}
	return out, nil
}

func containsAddress(list []string, addr string) bool {
	for _, a := range list {
		if sameAddress(a, addr) {
			return true
		}
	}
	return false
}

// setRecipients puts list on sc, keeping the record of who added the addresses it had and
// recording owner as the adder of the new ones; it returns the addresses that are new.
func (sc *Schedule) setRecipients(list []string, owner Owner, now time.Time) (added []string) {
	prev := sc.Added
	sc.Recipients, sc.Added = list, make(map[string]Added, len(list))
	for _, addr := range list {
		if a, ok := prev[addr]; ok {
			sc.Added[addr] = a
			continue
		}
		isOwner := sameAddress(addr, owner.Email)
		sc.Added[addr] = Added{By: owner.Email, Name: owner.Name, At: now, Owner: isOwner}
		if !isOwner {
			added = append(added, strings.ToLower(addr))
		}
	}
	return added
}

// recipientsKey is the canonical form of the recipients for the fingerprint: empty when the
// owner alone receives the runs (the default, as every schedule stored before recipients).
func (sc *Schedule) recipientsKey() string {
	if len(sc.Recipients) == 0 || len(sc.Recipients) == 1 && sc.IsOwner(sc.Recipients[0]) {
		return ""
	}
	l := make([]string, len(sc.Recipients))
	for i, a := range sc.Recipients {
		l[i] = strings.ToLower(a)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// resolveOwner gives a schedule stored without recipients (before they existed, or made
// without an owner's address) its default, the owner alone; and moves the owner's own entry
// to their current address when they changed it since.
func (sc *Schedule) resolveOwner(owner Owner) {
	if owner.Email == "" {
		return
	}
	if len(sc.Recipients) == 0 {
		sc.Recipients = []string{owner.Email}
		sc.Added = map[string]Added{owner.Email: {By: owner.Email, Name: owner.Name, At: sc.CreatedAt, Owner: true}}
		return
	}
	list, added := make([]string, 0, len(sc.Recipients)), make(map[string]Added, len(sc.Added))
	for _, a := range sc.Recipients {
		rec := sc.Added[a]
		if rec.Owner && !sameAddress(a, owner.Email) {
			a = owner.Email // the owner's entry follows their address
		}
		if !containsAddress(list, a) {
			list, added[a] = append(list, a), rec
		}
	}
	sc.Recipients, sc.Added = list, added
}

// WithOwner is sc with its recipients resolved for an owner whose address is email: a
// schedule stored before recipients existed goes to the owner alone, and the owner's entry
// is their current address even if they changed it after adding it.
func (sc Schedule) WithOwner(email, name string) Schedule {
	sc.resolveOwner(Owner{Email: email, Name: name})
	return sc
}
