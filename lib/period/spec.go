package period

import (
	"bytes"
	"encoding/json"
	jsonv2 "encoding/json/v2"
	"fmt"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Preset names a period relative to "today" in the user's time zone.
type Preset string

const (
	// Last7Days is the seven complete days ending yesterday, against the seven before.
	Last7Days Preset = "last_7_days"
	// Last28Days is the 28 complete days ending yesterday, against the 28 before. Four whole
	// weeks, so each weekday appears equally often in both spans.
	Last28Days Preset = "last_28_days"
	// LastMonth is the previous calendar month, against the calendar month before it (so
	// March is compared with February: 31 days against 28 or 29).
	LastMonth Preset = "last_month"
)

// MaxDays bounds an explicit period: a year, a leap year included.
const MaxDays = 366

// Earliest is the first day a period may start: no provider we read has data before it
// (Google Analytics launched in November 2005), and it keeps typos like 0202 out.
var Earliest = Date{Year: 2005, Month: time.January, Day: 1}

// Spec is what a customer asks for: a Preset, or explicit Start and End (inclusive). It is the
// `period` field of POST /api/reports, either "last_7_days" or {"start": …, "end": …}.
type Spec struct {
	Preset     Preset
	Start, End Date
}

// IsZero reports whether s asks for nothing.
func (s Spec) IsZero() bool { return s == Spec{} }

const fieldName = "period"

// Resolve computes the days s covers, as seen at now in loc (nil means UTC), and the span
// compared with them. The comparison span is the equal-length span just before, except for
// LastMonth (see there). Errors are *problem.Error about the field "period".
func Resolve(s Spec, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	today := DateOf(now.In(loc))
	var p Period
	switch {
	case s.Preset != "":
		yesterday := today.AddDays(-1)
		switch s.Preset {
		case Last7Days:
			p = trailing(yesterday, 7)
		case Last28Days:
			p = trailing(yesterday, 28)
		case LastMonth:
			start := today.FirstOfMonth().AddDays(-1).FirstOfMonth()
			prevStart := start.AddDays(-1).FirstOfMonth()
			p = Period{Start: start, End: today.FirstOfMonth().AddDays(-1), PreviousStart: prevStart, PreviousEnd: start.AddDays(-1)}
		default:
			return Period{}, unknownPreset(string(s.Preset))
		}
	case s.Start.IsZero() && s.End.IsZero():
		return Period{}, problem.Invalid(fieldName, `period is required: "last_7_days", "last_28_days", "last_month" or {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.`)
	default:
		if err := validateRange(s.Start, s.End, today, loc); err != nil {
			return Period{}, err
		}
		p = trailing(s.End, s.End.Sub(s.Start)+1)
	}
	p.TimeZone = loc.String()
	return p, nil
}

// trailing is the n days ending on end, against the n days before them.
func trailing(end Date, n int) Period {
	start := end.AddDays(-(n - 1))
	return Period{Start: start, End: end, PreviousStart: start.AddDays(-n), PreviousEnd: start.AddDays(-1)}
}

func validateRange(start, end, today Date, loc *time.Location) error {
	unacceptable := func(msg string, args ...any) error {
		return problem.Unprocessable("invalid_period", fieldName, fmt.Sprintf(msg, args...))
	}
	switch {
	case start.IsZero() || end.IsZero():
		return problem.Invalid(fieldName, "period needs both start and end dates (YYYY-MM-DD).")
	case end.Before(start):
		return unacceptable("The period ends (%s) before it starts (%s).", end, start)
	case end.Sub(start)+1 > MaxDays:
		return unacceptable("A period can cover at most %d days; this one covers %d.", MaxDays, end.Sub(start)+1)
	case end.After(today):
		return unacceptable("The period cannot end after today (%s in %s).", today, loc)
	case start.Before(Earliest):
		return unacceptable("The period cannot start before %s.", Earliest)
	}
	return nil
}

func unknownPreset(name string) error {
	return problem.Unprocessable("invalid_period", fieldName,
		fmt.Sprintf("Unknown period %q: use last_7_days, last_28_days, last_month, or explicit start and end dates.", name))
}

// UnmarshalJSON reads a preset string or {"start", "end"}. Errors are *problem.Error naming
// the field "period": 400 invalid_request for a wrong shape or a malformed date, 422
// invalid_period for an unknown preset. Range rules (order, length, future) wait for Resolve,
// which knows the time zone.
func (s *Spec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	wrongShape := problem.Invalid(fieldName, `period must be "last_7_days", "last_28_days", "last_month" or {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.`)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = Spec{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return wrongShape
		}
		switch p := Preset(name); p {
		case Last7Days, Last28Days, LastMonth:
			*s = Spec{Preset: p}
			return nil
		}
		return unknownPreset(name)
	case len(b) > 0 && b[0] == '{':
		var raw struct {
			Start *string `json:"start"`
			End   *string `json:"end"`
		}
		// json/v2, as web.Decode: exact-case names ("START" is refused), each given once.
		if err := jsonv2.Unmarshal(b, &raw, jsonv2.RejectUnknownMembers(true)); err != nil {
			return wrongShape
		}
		start, err := requiredDate("start", raw.Start)
		if err != nil {
			return err
		}
		end, err := requiredDate("end", raw.End)
		if err != nil {
			return err
		}
		*s = Spec{Start: start, End: end}
		return nil
	}
	return wrongShape
}

func requiredDate(name string, v *string) (Date, error) {
	if v == nil {
		return Date{}, problem.Invalid(fieldName, fmt.Sprintf("period.%s is required (YYYY-MM-DD).", name))
	}
	d, err := ParseDate(*v)
	if err != nil {
		return Date{}, problem.Invalid(fieldName, fmt.Sprintf("period.%s must be a date like 2026-11-01, not %q.", name, *v))
	}
	return d, nil
}

// MarshalJSON writes s back in the form it was given: a preset string or {"start", "end"}.
func (s Spec) MarshalJSON() ([]byte, error) {
	if s.Preset != "" {
		return json.Marshal(string(s.Preset))
	}
	if s.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Start Date `json:"start"`
		End   Date `json:"end"`
	}{s.Start, s.End})
}
