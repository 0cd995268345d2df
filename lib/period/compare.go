package period

import (
	"encoding/json"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Compare names the span a report's period is compared with: the `compare` field of
// POST /api/reports and of schedules, and of the report's period object.
type Compare string

const (
	// PreviousPeriod is the span just before, as Resolve computes it (the default).
	PreviousPeriod Compare = "previous_period"
	// PreviousYear is the same calendar dates a year earlier, as GA4's "Same period last
	// year" without "Match day of week": a customer checking a number against GA4's own
	// comparison finds the same days. Weekdays therefore shift by one or two; February 29
	// becomes February 28.
	PreviousYear Compare = "previous_year"
)

const compareField = "compare"

// ParseCompare reads a compare value; "" is PreviousPeriod. Anything else is a 400
// invalid_request naming the field "compare".
func ParseCompare(s string) (Compare, error) {
	switch c := Compare(s); c {
	case "":
		return PreviousPeriod, nil
	case PreviousPeriod, PreviousYear:
		return c, nil
	}
	return "", problem.Invalid(compareField, fmt.Sprintf("compare must be %q or %q, not %q.", PreviousPeriod, PreviousYear, s))
}

// OrDefault is c, or PreviousPeriod when c is unset (records stored before compare existed).
func (c Compare) OrDefault() Compare {
	if c == "" {
		return PreviousPeriod
	}
	return c
}

// UnmarshalJSON reads a compare string; null is the default, an empty string a mistake.
func (c *Compare) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return problem.Invalid(compareField, fmt.Sprintf("compare must be the string %q or %q.", PreviousPeriod, PreviousYear))
	}
	if s == nil {
		*c = PreviousPeriod
		return nil
	}
	if *s == "" { // ParseCompare's "" means "not given"; an empty string is given, and wrong
		return problem.Invalid(compareField, fmt.Sprintf("compare must be %q or %q, not empty.", PreviousPeriod, PreviousYear))
	}
	v, err := ParseCompare(*s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// YearEarlier is the same calendar day a year before d; February 29 becomes February 28
// (not March 1, which would end a February comparison inside March).
func YearEarlier(d Date) Date {
	if d.Month == 2 && d.Day == 29 {
		return Date{Year: d.Year - 1, Month: 2, Day: 28}
	}
	return Date{Year: d.Year - 1, Month: d.Month, Day: d.Day}
}

// Compared returns p compared as c says. For PreviousYear the comparison span is the current
// span's own dates a year earlier, so a calendar month is compared with the same month
// (February 2028's 29 days with February 2027's 28) and a leap day drops out.
func (p Period) Compared(c Compare) Period {
	c, err := ParseCompare(string(c))
	if err != nil {
		c = PreviousPeriod
	}
	p.Compare = c
	if c == PreviousYear {
		p.PreviousStart, p.PreviousEnd = YearEarlier(p.Start), YearEarlier(p.End)
	}
	return p
}
