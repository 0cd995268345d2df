package period

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func load(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("tzdata missing for %s: %v", name, err)
	}
	return loc
}

func at(t *testing.T, rfc3339 string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type span struct{ start, end, prevStart, prevEnd string }

func (s span) check(t *testing.T, name string, p Period) {
	t.Helper()
	got := span{p.Start.String(), p.End.String(), p.PreviousStart.String(), p.PreviousEnd.String()}
	if got != s {
		t.Errorf("%s: got %v, want %v", name, got, s)
	}
}

func TestPresets(t *testing.T) {
	utc := time.UTC
	ny, paris := load(t, "America/New_York"), load(t, "Europe/Paris")
	cases := []struct {
		name   string
		preset Preset
		now    string
		loc    *time.Location
		want   span
	}{
		// US DST began Sunday 2026-03-08: the week still has seven days, one of 23 hours.
		{"ny spring", Last7Days, "2026-03-09T14:00:00Z", ny, span{"2026-03-02", "2026-03-08", "2026-02-23", "2026-03-01"}},
		// US DST ended Sunday 2026-11-01.
		{"ny autumn", Last7Days, "2026-11-03T04:30:00Z", ny, span{"2026-10-26", "2026-11-01", "2026-10-19", "2026-10-25"}},
		// 00:30 on Mar 30 in Paris (CEST) is still Mar 29 in UTC: different "yesterday".
		{"paris after spring", Last7Days, "2026-03-29T22:30:00Z", paris, span{"2026-03-23", "2026-03-29", "2026-03-16", "2026-03-22"}},
		{"utc same instant", Last7Days, "2026-03-29T22:30:00Z", utc, span{"2026-03-22", "2026-03-28", "2026-03-15", "2026-03-21"}},
		{"28 days across leap day", Last28Days, "2028-03-01T12:00:00Z", utc, span{"2028-02-02", "2028-02-29", "2028-01-05", "2028-02-01"}},
		{"last month = Feb (short)", LastMonth, "2026-03-31T12:00:00Z", utc, span{"2026-02-01", "2026-02-28", "2026-01-01", "2026-01-31"}},
		{"last month = Feb 2028 (leap)", LastMonth, "2028-03-01T00:00:00Z", utc, span{"2028-02-01", "2028-02-29", "2028-01-01", "2028-01-31"}},
		{"last month = Mar vs Feb", LastMonth, "2026-04-15T12:00:00Z", utc, span{"2026-03-01", "2026-03-31", "2026-02-01", "2026-02-28"}},
		{"last month = Jan vs Dec", LastMonth, "2026-02-28T23:59:59Z", utc, span{"2026-01-01", "2026-01-31", "2025-12-01", "2025-12-31"}},
		{"year boundary month", LastMonth, "2027-01-01T08:00:00Z", utc, span{"2026-12-01", "2026-12-31", "2026-11-01", "2026-11-30"}},
		{"year boundary week", Last7Days, "2027-01-05T08:00:00Z", utc, span{"2026-12-29", "2027-01-04", "2026-12-22", "2026-12-28"}},
		{"first of month, NY evening is still Dec", LastMonth, "2027-01-01T03:00:00Z", ny, span{"2026-11-01", "2026-11-30", "2026-10-01", "2026-10-31"}},
	}
	for _, c := range cases {
		p, err := Resolve(Spec{Preset: c.preset}, at(t, c.now), c.loc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		c.want.check(t, c.name, p)
		if p.TimeZone != c.loc.String() {
			t.Errorf("%s: TimeZone = %q", c.name, p.TimeZone)
		}
		if c.preset != LastMonth && p.Days() != p.PreviousDays() {
			t.Errorf("%s: %d days vs %d previous", c.name, p.Days(), p.PreviousDays())
		}
	}
}

// One instant, three time zones: "yesterday" depends on where the user is.
func TestSameInstantDifferentZones(t *testing.T) {
	auckland, honolulu := load(t, "Pacific/Auckland"), load(t, "Pacific/Honolulu")
	cases := []struct {
		now  string
		want map[*time.Location]string // loc → end of last_7_days
	}{
		{"2026-11-15T09:30:00Z", map[*time.Location]string{time.UTC: "2026-11-14", auckland: "2026-11-14", honolulu: "2026-11-13"}},
		{"2026-11-15T11:30:00Z", map[*time.Location]string{time.UTC: "2026-11-14", auckland: "2026-11-15", honolulu: "2026-11-14"}},
	}
	for _, c := range cases {
		for loc, end := range c.want {
			p, err := Resolve(Spec{Preset: Last7Days}, at(t, c.now), loc)
			if err != nil {
				t.Fatal(err)
			}
			if p.End.String() != end || p.Days() != 7 {
				t.Errorf("%s in %s: end %s (%d days), want %s", c.now, loc, p.End, p.Days(), end)
			}
		}
	}
	// An explicit period ending "today" is fine in Auckland and in the future for Honolulu.
	now := at(t, "2026-11-15T11:30:00Z")
	spec := Spec{Start: d("2026-11-10"), End: d("2026-11-16")}
	if _, err := Resolve(spec, now, auckland); err != nil {
		t.Errorf("Auckland, ends today: %v", err)
	}
	if _, err := Resolve(spec, now, honolulu); problem.CodeOf(err) != "invalid_period" {
		t.Errorf("Honolulu, ends tomorrow: %v", err)
	}
}

func TestBoundsAcrossDST(t *testing.T) {
	ny, paris := load(t, "America/New_York"), load(t, "Europe/Paris")
	cases := []struct {
		loc        *time.Location
		start, end string
		hours      float64
	}{
		{ny, "2026-03-02", "2026-03-08", 7*24 - 1},
		{ny, "2026-10-26", "2026-11-01", 7*24 + 1},
		{paris, "2026-10-19", "2026-10-25", 7*24 + 1},
		{paris, "2026-03-23", "2026-03-29", 7*24 - 1},
		{time.UTC, "2026-03-23", "2026-03-29", 7 * 24},
	}
	for _, c := range cases {
		p := Period{Start: d(c.start), End: d(c.end)}
		from, to := p.Bounds(c.loc)
		if got := to.Sub(from).Hours(); got != c.hours {
			t.Errorf("%s %s..%s: %v hours, want %v", c.loc, c.start, c.end, got, c.hours)
		}
		if DateOf(from.In(c.loc)) != p.Start || DateOf(to.Add(-time.Nanosecond).In(c.loc)) != p.End {
			t.Errorf("%s: bounds %v..%v do not match the days", c.loc, from, to)
		}
	}
}

func TestExplicitRange(t *testing.T) {
	now := at(t, "2026-12-10T12:00:00Z")
	p, err := Resolve(Spec{Start: d("2026-01-31"), End: d("2026-02-27")}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	span{"2026-01-31", "2026-02-27", "2026-01-03", "2026-01-30"}.check(t, "jan31→feb", p)
	p, err = Resolve(Spec{Start: d("2026-12-10"), End: d("2026-12-10")}, now, nil)
	if err != nil || p.Days() != 1 || p.PreviousStart != d("2026-12-09") {
		t.Errorf("single day ending today: %+v %v", p, err)
	}
	if _, err := Resolve(Spec{Start: d("2025-12-10"), End: d("2026-12-10")}, now, nil); err != nil {
		t.Errorf("366 days: %v", err)
	}
	bad := map[string]Spec{
		"end before start": {Start: d("2026-11-02"), End: d("2026-11-01")},
		"367 days":         {Start: d("2025-12-09"), End: d("2026-12-10")},
		"ends tomorrow":    {Start: d("2026-12-01"), End: d("2026-12-11")},
		"before 2005":      {Start: d("2004-12-31"), End: d("2005-01-10")},
	}
	for name, s := range bad {
		_, err := Resolve(s, now, nil)
		pe, ok := problem.As(err)
		if !ok || pe.Code != "invalid_period" || pe.Status != http.StatusUnprocessableEntity || pe.Field != "period" {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]Spec{"empty": {}, "no end": {Start: d("2026-11-01")}} {
		if _, err := Resolve(s, now, nil); problem.CodeOf(err) != "invalid_request" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Resolve(Spec{Preset: "last_year"}, now, nil); problem.CodeOf(err) != "invalid_period" {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestSpecJSON(t *testing.T) {
	type body struct {
		Period Spec `json:"period"`
	}
	good := map[string]Spec{
		`{"period": "last_7_days"}`:                                {Preset: Last7Days},
		`{"period": "last_28_days"}`:                               {Preset: Last28Days},
		`{"period": "last_month"}`:                                 {Preset: LastMonth},
		`{"period": {"start": "2026-11-01", "end": "2026-11-30"}}`: {Start: d("2026-11-01"), End: d("2026-11-30")},
	}
	for in, want := range good {
		var b body
		if err := json.Unmarshal([]byte(in), &b); err != nil || b.Period != want {
			t.Errorf("%s: %+v, %v", in, b.Period, err)
			continue
		}
		// And back, in the same shape.
		out, _ := json.Marshal(b)
		var again body
		if err := json.Unmarshal(out, &again); err != nil || again.Period != want {
			t.Errorf("round trip of %s: %s", in, out)
		}
	}
	bad := map[string]string{
		`{"period": "last_year"}`:                                               "invalid_period",
		`{"period": 7}`:                                                         "invalid_request",
		`{"period": ["2026-11-01", "2026-11-30"]}`:                              "invalid_request",
		`{"period": {"start": "2026-11-01"}}`:                                   "invalid_request",
		`{"period": {"end": "2026-11-01"}}`:                                     "invalid_request",
		`{"period": {"start": "2026-11-31", "end": "2026-12-01"}}`:              "invalid_request",
		`{"period": {"start": "01/11/2026", "end": "2026-12-01"}}`:              "invalid_request",
		`{"period": {"start": "2026-11-01", "end": "2026-11-30", "tz": "UTC"}}`: "invalid_request",
		`{"period": {"start": 20261101, "end": "2026-11-30"}}`:                  "invalid_request",
		// Names are exact, as in web.Decode (issue 11, item 13).
		`{"period": {"START": "2026-11-01", "end": "2026-11-30"}}`: "invalid_request",
	}
	for in, code := range bad {
		var b body
		err := json.Unmarshal([]byte(in), &b)
		pe, ok := problem.As(err)
		if !ok || pe.Code != code || pe.Field != "period" || pe.Message == "" {
			t.Errorf("%s: %v, want %s", in, err, code)
		}
	}
}

func TestTitle(t *testing.T) {
	cases := map[string]Period{
		"Nov 1 – Nov 30, 2026":       {Start: d("2026-11-01"), End: d("2026-11-30")},
		"Dec 29, 2026 – Jan 4, 2027": {Start: d("2026-12-29"), End: d("2027-01-04")},
		"Feb 29, 2028":               {Start: d("2028-02-29"), End: d("2028-02-29")},
	}
	for want, p := range cases {
		if got := Title(p); got != want {
			t.Errorf("Title = %q, want %q", got, want)
		}
	}
}

func TestDate(t *testing.T) {
	if _, err := ParseDate("2027-02-29"); err == nil {
		t.Error("Feb 29 2027 accepted")
	}
	if _, err := ParseDate("2026-1-05"); err == nil {
		t.Error("one-digit month accepted")
	}
	if got := d("2028-02-28").AddDays(1); got != d("2028-02-29") {
		t.Errorf("leap day: %v", got)
	}
	if got := d("2026-01-31").AddDays(1); got != d("2026-02-01") {
		t.Errorf("month end: %v", got)
	}
	if n := d("2027-01-01").Sub(d("2026-01-01")); n != 365 {
		t.Errorf("Sub = %d", n)
	}
	if !d("2026-12-31").Before(d("2027-01-01")) || d("2027-01-01").Before(d("2026-12-31")) {
		t.Error("Before across the year")
	}
	p := Period{Start: d("2026-02-26"), End: d("2026-03-02")}
	if got := p.Dates(); len(got) != 5 || got[3] != d("2026-03-01") {
		t.Errorf("Dates = %v", got)
	}
	out, _ := json.Marshal(struct {
		D Date `json:"d"`
		Z Date `json:"z"`
	}{D: d("2026-11-01")})
	if string(out) != `{"d":"2026-11-01","z":""}` {
		t.Errorf("JSON = %s", out)
	}
	if (Period{TimeZone: "Mars/Olympus"}).Location() != time.UTC {
		t.Error("unknown zone should fall back to UTC")
	}
}
