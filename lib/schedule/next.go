package schedule

import "time"

// Next is the first run strictly after t. Runs fall at the top of Hour in the schedule's own
// time zone; on a day when that hour does not exist (clocks go forward), the run moves to the
// first hour after the gap, never before the hour asked for.
func (sc *Schedule) Next(t time.Time) time.Time {
	loc, err := time.LoadLocation(sc.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	y, m, d := local.Date()
	switch sc.Cadence {
	case Weekly:
		for i := 0; i <= 7; i++ {
			c := localHour(y, m, d+i, sc.Hour, loc)
			if int(c.Weekday()) == *sc.Weekday && c.After(t) {
				return c.UTC()
			}
		}
	case Monthly:
		for i := 0; i <= 2; i++ {
			first := time.Date(y, m+time.Month(i), 1, 0, 0, 0, 0, loc)
			day := min(*sc.Day, daysIn(first))
			c := localHour(first.Year(), first.Month(), day, sc.Hour, loc)
			if c.After(t) {
				return c.UTC()
			}
		}
	}
	return t.Add(24 * time.Hour).UTC() // unreachable for a validated schedule
}

func daysIn(first time.Time) int {
	return time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, first.Location()).Day()
}

// localHour is hour:00 on the given day in loc. time.Date may resolve an hour that a DST change skips
// to the hour before the gap; move it past the gap instead.
func localHour(y int, m time.Month, d, hour int, loc *time.Location) time.Time {
	c := time.Date(y, m, d, hour, 0, 0, 0, loc)
	if c.Hour() < hour && c.Day() == time.Date(y, m, d, 0, 0, 0, 0, loc).Day() {
		c = c.Add(time.Hour)
	}
	return c
}
