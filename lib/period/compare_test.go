package period

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func TestComparedPreviousYear(t *testing.T) {
	utc := load(t, "UTC")
	cases := []struct {
		name string
		spec Spec
		now  string
		want span
	}{
		{"last 7 days", Spec{Preset: Last7Days}, "2026-11-30T10:00:00Z", span{"2026-11-23", "2026-11-29", "2025-11-23", "2025-11-29"}},
		{"month end", Spec{Preset: LastMonth}, "2026-12-05T10:00:00Z", span{"2026-11-01", "2026-11-30", "2025-11-01", "2025-11-30"}},
		{"leap February against 28 days", Spec{Preset: LastMonth}, "2028-03-02T10:00:00Z", span{"2028-02-01", "2028-02-29", "2027-02-01", "2027-02-28"}},
		{"February after a leap year", Spec{Preset: LastMonth}, "2029-03-02T10:00:00Z", span{"2029-02-01", "2029-02-28", "2028-02-01", "2028-02-28"}},
		{"range starting on a leap day", Spec{Start: d("2028-02-29"), End: d("2028-03-06")}, "2028-04-01T10:00:00Z", span{"2028-02-29", "2028-03-06", "2027-02-28", "2027-03-06"}},
		{"range across the new year", Spec{Start: d("2025-12-29"), End: d("2026-01-04")}, "2026-02-01T10:00:00Z", span{"2025-12-29", "2026-01-04", "2024-12-29", "2025-01-04"}},
	}
	for _, c := range cases {
		p, err := Resolve(c.spec, at(t, c.now), utc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p = p.Compared(PreviousYear)
		c.want.check(t, c.name, p)
		if p.Compare != PreviousYear {
			t.Errorf("%s: compare = %q", c.name, p.Compare)
		}
	}
}

func TestComparedPreviousPeriodKeepsResolve(t *testing.T) {
	p, err := Resolve(Spec{Preset: LastMonth}, at(t, "2026-03-05T10:00:00Z"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Compare{"", PreviousPeriod} {
		got := p.Compared(c)
		span{"2026-02-01", "2026-02-28", "2026-01-01", "2026-01-31"}.check(t, string(c), got)
		if got.Compare != PreviousPeriod {
			t.Errorf("Compared(%q).Compare = %q, want previous_period", c, got.Compare)
		}
	}
}

func TestCompareJSON(t *testing.T) {
	for in, want := range map[string]Compare{`"previous_year"`: PreviousYear, `"previous_period"`: PreviousPeriod, `null`: PreviousPeriod} {
		var c Compare
		if err := json.Unmarshal([]byte(in), &c); err != nil || c != want {
			t.Errorf("%s: %q, %v; want %q", in, c, err, want)
		}
	}
	for _, in := range []string{`"last_year"`, `"PREVIOUS_YEAR"`, `""`, `1`, `{}`} {
		var c Compare
		err := json.Unmarshal([]byte(in), &c)
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || pe.Field != "compare" {
			t.Errorf("%s: %v, want 400 naming compare", in, err)
		}
	}
}

func TestYearEarlier(t *testing.T) {
	for in, want := range map[string]string{"2028-02-29": "2027-02-28", "2028-02-28": "2027-02-28", "2026-03-01": "2025-03-01", "2026-12-31": "2025-12-31"} {
		if got := YearEarlier(d(in)).String(); got != want {
			t.Errorf("YearEarlier(%s) = %s, want %s", in, got, want)
		}
	}
}
