// Package tzgen reads the tz database's compiled source, tzdata.zi (as Debian's tzdata package
// ships it in /usr/share/zoneinfo), and renders the canonical zone list and link map that
// lib/tz and the web app embed. cmd/tzgen writes the files; lib/tz's tests check them.
package tzgen

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// UTC is the one name Metriqs uses for Coordinated Universal Time. The tz database's zone is
// Etc/UTC, with UTC as a link to it, but every profile has been stored as "UTC" since the first
// signup and browsers report "UTC" (ECMA-402 canonicalizes Etc/UTC to it), so Etc/UTC and its
// other links map to UTC instead.
const UTC = "UTC"

// notPlaces are zones in the database that no person lives in: Factory is the placeholder zone
// ("-00") for machines whose zone is not yet set (tz Theory, "Scope of the tz database").
var notPlaces = []string{"Factory"}

// Data is what the generated files hold.
type Data struct {
	Version string            // the tzdata release, e.g. 2025b
	Zones   []string          // canonical names, sorted
	Links   map[string]string // deprecated or alternative name → its canonical zone
}

// Parse reads tzdata.zi: "# version" gives the release, Zone lines ("Z"/"Zone") the canonical
// names, Link lines ("L"/"Link" TARGET NAME) the links. Rule and continuation lines are skipped.
func Parse(r io.Reader) (*Data, error) {
	d := &Data{Links: map[string]string{}}
	zones := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "#" && f[1] == "version":
			d.Version = f[2]
		case len(f) >= 2 && (f[0] == "Z" || f[0] == "Zone"):
			zones[f[1]] = true
		case len(f) >= 3 && (f[0] == "L" || f[0] == "Link"):
			d.Links[f[2]] = f[1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tzgen: read tzdata.zi: %w", err)
	}
	return d.canonicalize(zones)
}

// canonicalize applies Metriqs' two decisions (UTC, no Factory) and resolves every link to a zone.
func (d *Data) canonicalize(zones map[string]bool) (*Data, error) {
	if d.Version == "" || !zones["Etc/UTC"] {
		return nil, fmt.Errorf("tzgen: not a tzdata.zi (no version line or no Etc/UTC zone)")
	}
	delete(zones, "Etc/UTC")
	zones[UTC] = true
	d.Links["Etc/UTC"] = UTC
	for _, z := range notPlaces {
		delete(zones, z)
	}
	for name := range d.Links {
		target, err := resolve(d.Links, zones, name)
		if err != nil {
			return nil, err
		}
		d.Links[name] = target
	}
	delete(d.Links, UTC)
	d.Zones = slices.Sorted(maps.Keys(zones))
	return d, nil
}

// resolve follows a link (a link may name another link) to a canonical zone.
func resolve(links map[string]string, zones map[string]bool, name string) (string, error) {
	target := name
	for range 8 {
		if zones[target] {
			return target, nil
		}
		next, ok := links[target]
		if !ok {
			break
		}
		target = next
	}
	return "", fmt.Errorf("tzgen: link %s does not lead to a zone", name)
}
