// Package period turns what a customer asks for ("last 7 days", "last month", or two dates)
// into the calendar days a report covers and the equal span it is compared with.
//
// Dates are calendar days in the user's time zone, not instants: "1 November" is one thing to
// a user in Auckland and another, 23 hours later, to one in Honolulu. Only at the edge, when a
// provider wants timestamps (Stripe, GitHub), does a Date become an instant, through Start.
package period

import (
	"cmp"
	"fmt"
	"time"
)

// Date is a calendar day without a time of day or a zone. The zero Date means "unset".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Layout is the wire format of a Date (ISO 8601 calendar date), as in API.md.
const Layout = "2006-01-02"

// NewDate returns the given day, normalised the way time.Date is (Feb 30 → Mar 2 or 1).
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 12, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar day of t in t's own location. Convert t with In first to get
// the day somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads "2006-01-02" strictly: two-digit month and day, a day that exists.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(Layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("period: %q is not a date like 2026-11-01", s)
	}
	return DateOf(t), nil
}

// noon is the day as an instant at which arithmetic is safe: UTC has no DST, and noon stays
// clear of any day boundary whatever is added.
func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

// IsZero reports whether d is the unset Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the day n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.noon().AddDate(0, 0, n)) }

// Sub returns the number of days from o to d: positive when d is later.
func (d Date) Sub(o Date) int {
	return int(d.noon().Sub(o.noon()).Round(time.Hour).Hours() / 24)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// FirstOfMonth returns the first day of d's month.
func (d Date) FirstOfMonth() Date { return Date{Year: d.Year, Month: d.Month, Day: 1} }

// Start returns the instant d begins in loc. On the rare days that skip midnight (a DST jump
// at 00:00, as in America/Santiago), time.Date moves it to the first instant that exists.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// String formats d as "2006-01-02"; the zero Date formats as "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.noon().Format(Layout)
}

// MarshalText makes Date a JSON string ("2026-11-01") and a valid map key.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "2006-01-02"; "" leaves the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
