package period

import (
	"fmt"
	"time"
)

// Period is what a report covers: the current span and the one it is compared with, both with
// inclusive ends, as calendar days in TimeZone. It is the report's `period` object in API.md
// (time_zone is an addition, kept so that a stored report can be re-read without the profile).
type Period struct {
	Start         Date   `json:"start"`
	End           Date   `json:"end"`
	PreviousStart Date   `json:"previous_start"`
	PreviousEnd   Date   `json:"previous_end"`
	TimeZone      string `json:"time_zone,omitempty"`
	// Compare says what the previous span is; empty in reports stored before it existed,
	// which were all PreviousPeriod.
	Compare Compare `json:"compare,omitempty"`
}

// Days is the number of days in the current span, both ends included.
func (p Period) Days() int { return p.End.Sub(p.Start) + 1 }

// PreviousDays is the number of days in the comparison span. It equals Days except for
// last_month, which compares whole calendar months (31 days against 30, say).
func (p Period) PreviousDays() int { return p.PreviousEnd.Sub(p.PreviousStart) + 1 }

// Dates lists every day of the current span in order: the x axis of a daily series.
func (p Period) Dates() []Date {
	n := p.Days()
	if n <= 0 {
		return nil
	}
	out := make([]Date, n)
	for i := range out {
		out[i] = p.Start.AddDays(i)
	}
	return out
}

// PreviousDates lists every day of the comparison span in order.
func (p Period) PreviousDates() []Date {
	n := p.PreviousDays()
	if n <= 0 {
		return nil
	}
	out := make([]Date, n)
	for i := range out {
		out[i] = p.PreviousStart.AddDays(i)
	}
	return out
}

// Contains reports whether d is in the current span.
func (p Period) Contains(d Date) bool { return !d.Before(p.Start) && !d.After(p.End) }

// ContainsPrevious reports whether d is in the comparison span.
func (p Period) ContainsPrevious(d Date) bool {
	return !d.Before(p.PreviousStart) && !d.After(p.PreviousEnd)
}

// Location loads TimeZone, falling back to UTC when it is empty or unknown (a stored report
// outliving a tzdata change should still render).
func (p Period) Location() *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Bounds returns the current span as the half-open instant range [from, to) in loc: from the
// first instant of Start to the first instant of the day after End. Using the next midnight
// rather than 23:59:59 keeps DST days (23 or 25 hours) whole.
func (p Period) Bounds(loc *time.Location) (from, to time.Time) {
	return p.Start.Start(loc), p.End.AddDays(1).Start(loc)
}

// PreviousBounds is Bounds for the comparison span.
func (p Period) PreviousBounds(loc *time.Location) (from, to time.Time) {
	return p.PreviousStart.Start(loc), p.PreviousEnd.AddDays(1).Start(loc)
}

// Title is the human name of the current span, as shown above a report:
// "Nov 1 – Nov 30, 2026", "Dec 29, 2025 – Jan 4, 2026", or "Nov 1, 2026" for a single day.
func Title(p Period) string {
	const short = "Jan 2"
	start, end := p.Start.noon(), p.End.noon()
	switch {
	case p.Start == p.End:
		return end.Format("Jan 2, 2006")
	case p.Start.Year == p.End.Year:
		return fmt.Sprintf("%s – %s", start.Format(short), end.Format("Jan 2, 2006"))
	default:
		return fmt.Sprintf("%s – %s", start.Format("Jan 2, 2006"), end.Format("Jan 2, 2006"))
	}
}
