package schedule

import (
	"testing"
	"time"
)

// Across DST in two zones: the spring-forward hour that does not exist runs at the first hour
// after the gap, and the fall-back hour that occurs twice runs once (the next run is a week
// later, not an hour) — so a delivery is never skipped nor sent twice.
func TestNextAcrossDSTInTwoZones(t *testing.T) {
	cases := []struct {
		zone               string
		springDay, fallDay string // a Sunday of each change
		springUTC          string // the run at 02:00 on the spring Sunday
	}{
		{"Europe/Paris", "2027-03-28", "2026-10-25", "2027-03-28T01:00:00Z"},     // 02:00 CET → 03:00 CEST
		{"America/New_York", "2027-03-14", "2026-11-01", "2027-03-14T07:00:00Z"}, // 02:00 EST → 03:00 EDT
		{"Australia/Sydney", "2026-10-04", "2027-04-04", "2026-10-03T16:00:00Z"}, // 02:00 AEST → 03:00 AEDT
	}
	for _, c := range cases {
		loc, _ := time.LoadLocation(c.zone)
		sc := Schedule{Cadence: Weekly, Weekday: ip(0), Hour: 2, TimeZone: c.zone}
		day := func(s string) time.Time { d, _ := time.ParseInLocation("2006-01-02", s, loc); return d }
		if got := sc.Next(day(c.springDay).Add(-time.Hour)); !got.Equal(at(c.springUTC)) {
			t.Errorf("%s spring: run at %s, want %s", c.zone, got.Format(time.RFC3339), c.springUTC)
		}
		first := sc.Next(day(c.fallDay).Add(-time.Hour))
		if l := first.In(loc); l.Hour() != 2 || l.Format("2006-01-02") != c.fallDay {
			t.Errorf("%s fall: run at %s local", c.zone, l)
		}
		if next := sc.Next(first); next.Sub(first) < 6*24*time.Hour {
			t.Errorf("%s fall: ran again at %s, %s after the first", c.zone, next.Format(time.RFC3339), next.Sub(first))
		}
		if next := sc.Next(first.Add(time.Hour)); next.Sub(first) < 6*24*time.Hour { // a tick during the repeated hour
			t.Errorf("%s fall: a tick in the repeated hour runs it again at %s", c.zone, next.Format(time.RFC3339))
		}
	}
}
