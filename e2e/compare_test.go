package e2e

import (
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// A report compared with the same dates a year earlier: the stored period says so, and the
// comparison span is the year-earlier one (Feb 29 → Feb 28).
func TestReportCompareWithPreviousYear(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	connectDemo(t, c)
	r := c.Do("POST", "/api/reports", map[string]any{"period": map[string]string{"start": "2024-02-23", "end": "2024-02-29"}, "compare": "previous_year"})
	devtest.Want(t, r, 202, "")
	doc := awaitReport(t, c, r.Map()["id"].(string))
	var raw struct {
		Period map[string]string `json:"period"`
	}
	c.Do("GET", "/api/reports/"+doc.ID, nil).JSON(&raw)
	want := map[string]string{"start": "2024-02-23", "end": "2024-02-29", "previous_start": "2023-02-23", "previous_end": "2023-02-28", "compare": "previous_year"}
	for k, v := range want {
		if raw.Period[k] != v {
			t.Errorf("period.%s = %q, want %q (%v)", k, raw.Period[k], v, raw.Period)
		}
	}
	if doc.Status != "ready" {
		t.Fatalf("report = %+v", doc)
	}

	// Without compare, the period before, and the period says that too.
	c.Do("GET", "/api/reports/"+requestReport(t, c, "last_7_days"), nil).JSON(&raw)
	if raw.Period["compare"] != "previous_period" {
		t.Errorf("default compare = %q", raw.Period["compare"])
	}
}

func TestBadCompareRefusedUnchanged(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	unchangedFor(t, u["id"].(string), func() {
		for _, bad := range []any{"last_year", "", "PREVIOUS_YEAR", 1, map[string]any{}} {
			r := c.Do("POST", "/api/reports", map[string]any{"period": "last_7_days", "compare": bad})
			if r.StatusCode != 400 || r.ErrorCode() != "invalid_request" || errorField(r) != "compare" {
				t.Errorf("report compare %v: %d %s", bad, r.StatusCode, r.Body)
			}
			r = c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "compare": bad})
			if r.StatusCode != 400 || r.ErrorCode() != "invalid_request" || errorField(r) != "compare" {
				t.Errorf("schedule compare %v: %d %s", bad, r.StatusCode, r.Body)
			}
		}
	})
}

// A schedule keeps its comparison; the same times against last year are a second schedule,
// not a duplicate, while a second identical one is refused.
func TestScheduleCompare(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	base := map[string]any{"cadence": "monthly", "day": 1, "hour": 7, "timezone": "UTC"}
	r := c.Do("POST", "/api/schedules", base)
	devtest.Want(t, r, 201, "")
	if got := r.Map()["compare"]; got != "previous_period" {
		t.Errorf("default compare = %v", got)
	}
	yearly := map[string]any{"cadence": "monthly", "day": 1, "hour": 7, "timezone": "UTC", "compare": "previous_year"}
	r = c.Do("POST", "/api/schedules", yearly)
	devtest.Want(t, r, 201, "")
	if got := r.Map()["compare"]; got != "previous_year" {
		t.Errorf("compare = %v", got)
	}
	devtest.Want(t, c.Do("POST", "/api/schedules", yearly), 409, "duplicate_schedule")
	list := c.Do("GET", "/api/schedules", nil).Map()["schedules"].([]any)
	seen := map[any]int{}
	for _, s := range list {
		seen[s.(map[string]any)["compare"]]++
	}
	if len(list) != 2 || seen["previous_year"] != 1 || seen["previous_period"] != 1 {
		t.Fatalf("schedules = %v", list)
	}
}
