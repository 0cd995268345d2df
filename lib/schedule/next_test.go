package schedule

import (
	"testing"
	"time"
)

// The rule (docs/architecture.md, "When a schedule runs"): a run is at the top of its hour,
// local time. An hour that a spring-forward change skips runs at the first moment after the
// gap; an hour that a fall-back change repeats runs once, at its first occurrence; a day the
// month lacks (31 in April, 29 to 31 in February) runs on the month's last day.
func TestNextAcrossDSTAndMonthEnds(t *testing.T) {
	sun := func(hour int, zone string) Schedule {
		return Schedule{Cadence: Weekly, Weekday: ip(0), Hour: hour, TimeZone: zone}
	}
	day := func(d, hour int, zone string) Schedule {
		return Schedule{Cadence: Monthly, Day: ip(d), Hour: hour, TimeZone: zone}
	}
	cases := []struct {
		name string
		sc   Schedule
		from string
		want string
	}{
		// New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
		{"NY skipped 02:00", sun(2, "America/New_York"), "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z"},
		{"NY after the skipped run", sun(2, "America/New_York"), "2026-03-08T07:00:00Z", "2026-03-15T06:00:00Z"},
		{"NY repeated 01:00, first", sun(1, "America/New_York"), "2026-10-31T12:00:00Z", "2026-11-01T05:00:00Z"},
		{"NY repeated 01:00 not twice", sun(1, "America/New_York"), "2026-11-01T05:00:00Z", "2026-11-08T06:00:00Z"},
		{"NY between the two 01:00s", sun(1, "America/New_York"), "2026-11-01T05:30:00Z", "2026-11-08T06:00:00Z"},
		{"NY monthly on the change day", day(1, 1, "America/New_York"), "2026-10-15T00:00:00Z", "2026-11-01T05:00:00Z"},
		// Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
		{"Berlin skipped 02:00", sun(2, "Europe/Berlin"), "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"},
		{"Berlin monthly skipped 02:00", day(29, 2, "Europe/Berlin"), "2026-03-01T00:00:00Z", "2026-03-29T01:00:00Z"},
		{"Berlin repeated 02:00, first", sun(2, "Europe/Berlin"), "2026-10-24T12:00:00Z", "2026-10-25T00:00:00Z"},
		{"Berlin repeated 02:00 not twice", sun(2, "Europe/Berlin"), "2026-10-25T00:00:00Z", "2026-11-01T01:00:00Z"},
		{"Berlin between the two 02:00s", sun(2, "Europe/Berlin"), "2026-10-25T00:30:00Z", "2026-11-01T01:00:00Z"},
		{"Berlin monthly repeated 02:00", day(25, 2, "Europe/Berlin"), "2026-10-01T00:00:00Z", "2026-10-25T00:00:00Z"},
		// Adelaide (southern hemisphere, half-hour offset): 2026-04-05 03:00 ACDT (+10:30) →
		// 02:00 ACST (+9:30); 2026-10-04 02:00 ACST → 03:00 ACDT.
		{"Adelaide repeated 02:00, first", sun(2, "Australia/Adelaide"), "2026-04-04T00:00:00Z", "2026-04-04T15:30:00Z"},
		{"Adelaide repeated 02:00 not twice", sun(2, "Australia/Adelaide"), "2026-04-04T15:30:00Z", "2026-04-11T16:30:00Z"},
		{"Adelaide skipped 02:00", sun(2, "Australia/Adelaide"), "2026-10-03T00:00:00Z", "2026-10-03T16:30:00Z"},
		{"Adelaide after the skipped run", sun(2, "Australia/Adelaide"), "2026-10-03T16:30:00Z", "2026-10-10T15:30:00Z"},
		// Lord Howe moves its clocks by half an hour: 2026-10-04 02:00 (+10:30) → 02:30 (+11).
		{"Lord Howe skipped 02:00", sun(2, "Australia/Lord_Howe"), "2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z"},
		// Month ends, in local time.
		{"31st to Feb 28", day(31, 6, "America/New_York"), "2027-01-31T11:00:00Z", "2027-02-28T11:00:00Z"},
		{"Feb 28 to Mar 31 (now EDT)", day(31, 6, "America/New_York"), "2027-02-28T11:00:00Z", "2027-03-31T10:00:00Z"},
		{"31st to Feb 29 in a leap year", day(31, 0, "Australia/Adelaide"), "2028-01-30T13:30:00Z", "2028-02-28T13:30:00Z"},
		{"30th to Feb 28", day(30, 9, "Europe/Berlin"), "2027-01-30T08:00:00Z", "2027-02-28T08:00:00Z"},
		{"31st to April 30", day(31, 9, "Europe/Berlin"), "2027-03-31T07:00:00Z", "2027-04-30T07:00:00Z"},
		{"local month, not UTC's", day(1, 0, "Asia/Tokyo"), "2026-11-30T15:00:00Z", "2026-12-31T15:00:00Z"},
		{"30-day month, west of UTC", day(31, 23, "America/Los_Angeles"), "2026-12-01T00:00:00Z", "2026-12-01T07:00:00Z"},
		{"31st at 23:00 west of UTC", day(31, 23, "America/Los_Angeles"), "2026-12-01T07:00:00Z", "2027-01-01T07:00:00Z"},
	}
	for _, c := range cases {
		got := c.sc.Next(at(c.from))
		if !got.Equal(at(c.want)) {
			loc, _ := time.LoadLocation(c.sc.TimeZone)
			t.Errorf("%s: Next(%s) = %s (%s), want %s", c.name, c.from, got.Format(time.RFC3339), got.In(loc).Format(time.RFC3339), c.want)
		}
	}
}

// Over two years in zones with every kind of change, weekly runs fall once a week, on their
// weekday, at their hour or (only on a skipped hour) at the change itself; monthly runs once
// a month, on its last day for day 31.
func TestNextOncePerPeriod(t *testing.T) {
	zones := []string{"America/New_York", "Europe/Berlin", "Australia/Adelaide", "Australia/Lord_Howe",
		"America/Santiago", "Asia/Kolkata", "Pacific/Chatham", "UTC"}
	for _, zone := range zones {
		loc, _ := time.LoadLocation(zone)
		for hour := range 24 {
			w := Schedule{Cadence: Weekly, Weekday: ip(0), Hour: hour, TimeZone: zone}
			m := Schedule{Cadence: Monthly, Day: ip(31), Hour: hour, TimeZone: zone}
			checkRuns(t, &w, loc, 104, func(prev, cur time.Time) bool {
				return cur.Weekday() == time.Sunday && civil(prev).AddDate(0, 0, 7).Equal(civil(cur))
			})
			checkRuns(t, &m, loc, 24, func(prev, cur time.Time) bool {
				return cur.AddDate(0, 0, 1).Day() == 1 && (prev.Month()%12)+1 == cur.Month()
			})
		}
	}
}

func checkRuns(t *testing.T, sc *Schedule, loc *time.Location, n int, step func(prev, cur time.Time) bool) {
	t.Helper()
	prev := sc.Next(at("2026-01-01T00:00:00Z")).In(loc)
	for range n {
		cur := sc.Next(prev).In(loc)
		start, _ := cur.ZoneBounds()
		onTime := cur.Hour() == sc.Hour && cur.Minute() == 0
		if !step(prev, cur) || !onTime && !start.Equal(cur) { // late only at the change itself
			t.Fatalf("%s %s at %d: after %s came %s", sc.TimeZone, sc.Cadence, sc.Hour, prev, cur)
		}
		prev = cur
	}
}

// civil is t's local calendar day.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
