package tz

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/tz/tzgen"
)

func TestCanonical(t *testing.T) {
	if UTC != tzgen.UTC {
		t.Fatalf("tz.UTC %q, tzgen.UTC %q", UTC, tzgen.UTC)
	}
	for in, want := range map[string]string{
		"Europe/Paris": "Europe/Paris", "UTC": "UTC", "Etc/UTC": "UTC", "Zulu": "UTC", "Etc/UCT": "UTC",
		"Asia/Calcutta": "Asia/Kolkata", "Europe/Kiev": "Europe/Kyiv", "US/Eastern": "America/New_York",
		"GMT": "Etc/GMT", "America/Argentina/ComodRivadavia": "America/Argentina/Catamarca", "Etc/GMT-14": "Etc/GMT-14",
	} {
		if got, err := Canonical(in); err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, code := range map[string]string{
		"./UTC": "invalid_request", "../UTC": "invalid_request", "/etc/localtime": "invalid_request", "": "invalid_request",
		"Europe//Paris": "invalid_request", "Europe/Paris ": "invalid_request", "Asia/Kolkata\x00": "invalid_request",
		"Europe/./Paris": "invalid_request", "-UTC": "invalid_request", "Ｕ T C": "invalid_request",
		"Factory": "invalid_timezone", "posixrules": "invalid_timezone", "Local": "invalid_timezone",
		"Mars/Olympus": "invalid_timezone", "europe/paris": "invalid_timezone", "right/UTC": "invalid_timezone", "posix/UTC": "invalid_timezone",
	} {
		_, err := Canonical(in)
		if problem.CodeOf(err) != code {
			t.Errorf("Canonical(%q) err = %v, want %s", in, err, code)
		}
		if p, ok := problem.As(err); !ok || p.Field != field {
			t.Errorf("Canonical(%q) err = %v, want one naming %q", in, err, field)
		}
	}
}

// TestGeneratedLists checks zones_gen.go is sane whatever tzdata the machine has: every canonical
// zone loads (lib/tz embeds time/tzdata, so it does without /usr/share/zoneinfo too), every link
// leads to a canonical zone, no name is both, and every name passes the shape check.
func TestGeneratedLists(t *testing.T) {
	if !slices.IsSorted(zones) || len(zones) < 300 {
		t.Fatalf("zones: %d, sorted %v", len(zones), slices.IsSorted(zones))
	}
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err != nil || !wellFormed(z) {
			t.Errorf("canonical zone %q: load %v, well-formed %v", z, err, wellFormed(z))
		}
		if _, ok := links[z]; ok {
			t.Errorf("%q is both a zone and a link", z)
		}
	}
	for name, target := range links {
		if _, ok := slices.BinarySearch(zones, target); !ok || !wellFormed(name) {
			t.Errorf("link %q → %q: target canonical %v, well-formed %v", name, target, ok, wellFormed(name))
		}
	}
}

// TestGeneratedFilesUpToDate regenerates both files from the machine's tzdata.zi and compares.
// A machine with another tzdata release skips: moving to it is a deliberate `go generate ./lib/tz`.
func TestGeneratedFilesUpToDate(t *testing.T) {
	f, err := os.Open("/usr/share/zoneinfo/tzdata.zi")
	if err != nil {
		t.Skip("no /usr/share/zoneinfo/tzdata.zi (apt-get install tzdata)")
	}
	defer f.Close()
	d, err := tzgen.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != Version {
		t.Skipf("this machine has tzdata %s, the files were generated from %s", d.Version, Version)
	}
	for path, render := range map[string]func() ([]byte, error){"zones_gen.go": d.GoFile, "../../public/js/tzdata.js": d.JSFile} {
		want, err := render()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run go generate ./lib/tz", path)
		}
	}
}
