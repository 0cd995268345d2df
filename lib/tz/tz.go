// Package tz decides which time-zone names Metriqs accepts: the canonical zones of the IANA tz
// database (zones_gen.go, generated from tzdata.zi by cmd/tzgen), with the database's links —
// deprecated or alternative names such as Asia/Calcutta or US/Eastern — mapped to the zone they
// stand for, so one place is stored under one name. UTC is the name for UTC (tzgen.UTC says why).
package tz

//go:generate go run ../../cmd/tzgen

import (
	"slices"
	"strings"
	// Zone data inside the binary: a function runtime may lack /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/trymetriqs/metriqs/lib/problem"
)

const field = "timezone"

// UTC is the canonical name of Coordinated Universal Time here (not Etc/UTC; tzgen.UTC says why).
const UTC = "UTC"

// Canonical returns the canonical name of a zone or of a link to one. A name that cannot be a
// zone name at all (a path such as "./UTC", spaces, "") is a malformed request (400
// invalid_request); a well-formed name the database does not list as a place (Factory,
// posixrules, Local, Mars/Olympus) is 422 invalid_timezone.
func Canonical(name string) (string, error) {
	if !wellFormed(name) {
		return "", problem.Invalid(field, `Field "timezone" must be an IANA time zone name, like "Europe/Paris".`)
	}
	if _, ok := slices.BinarySearch(zones, name); ok {
		return name, nil
	}
	if c, ok := links[name]; ok {
		return c, nil
	}
	return "", problem.Unprocessable("invalid_timezone", field, "Unknown time zone; use an IANA name, like Europe/Paris.")
}

// Zones returns the canonical zone names, sorted.
func Zones() []string { return slices.Clone(zones) }

// wellFormed follows the tz database's naming rules (Theory, "Timezone identifiers"): '/'-separated
// components of ASCII letters, digits, '.', '_', '-' and '+' that do not start with '.' or '-' —
// so no "." or ".." component, no absolute path, nothing the zone loader would read as a file path.
func wellFormed(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for c := range strings.SplitSeq(name, "/") {
		if c == "" || c[0] == '.' || c[0] == '-' || strings.IndexFunc(c, notNameByte) >= 0 {
			return false
		}
	}
	return true
}

func notNameByte(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("._-+", r))
}
