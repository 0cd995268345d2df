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

// localHour is hour:00 on the given day in loc, once a day whatever the clocks do. time.Date
// leaves both DST edges to chance ("the choice of time zone … is not guaranteed"): an hour
// that a spring-forward skips may come back before the gap, even on the day before (Chile
// skips midnight), and an hour that a fall-back repeats as either occurrence (the second one
// in zones east of UTC). The rule, the same everywhere: a skipped hour runs at the first
// moment after the gap (the change itself), a repeated one at its first occurrence — so an
// instant between the two occurrences never finds a second run that day.
func localHour(y int, m time.Month, d, hour int, loc *time.Location) time.Time {
	want := time.Date(y, m, d, hour, 0, 0, 0, time.UTC)
	c := time.Date(y, m, d, hour, 0, 0, 0, loc)
	start, end := c.ZoneBounds()
	switch wall := wallClock(c); {
	case wall.Before(want) && !end.IsZero(): // resolved before the gap
		return end.In(loc)
	case wall.After(want) && !start.IsZero(): // resolved after the gap
		return start.In(loc)
	}
	return firstOccurrence(c, start)
}

// firstOccurrence is the earlier of the two instants that read like c when c falls in the
// hour after clocks went back at start, else c.
func firstOccurrence(c, start time.Time) time.Time {
	if start.IsZero() {
		return c
	}
	_, before := start.Add(-time.Second).Zone()
	_, off := c.Zone()
	if before <= off {
		return c
	}
	if e := c.Add(-time.Duration(before-off) * time.Second); e.Before(start) && wallClock(e).Equal(wallClock(c)) {
		return e
	}
	return c
}

// wallClock is what a clock in t's location reads at t, as a UTC time to compare with.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
