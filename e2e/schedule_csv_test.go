package e2e

import (
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// attach_csv: on for a new schedule, turned off and on again by PATCH, and what GET lists.
func TestScheduleAttachCSVRoundTrip(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	var sc struct {
		ID        string `json:"id"`
		AttachCSV *bool  `json:"attach_csv"`
	}
	r := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 2, "hour": 9, "timezone": "UTC"})
	devtest.Want(t, r, 201, "")
	if r.JSON(&sc); sc.AttachCSV == nil || !*sc.AttachCSV {
		t.Fatalf("new schedule = %s", r.Body)
	}
	for _, want := range []bool{false, true} {
		r = c.Do("PATCH", "/api/schedules?id="+sc.ID, map[string]any{"attach_csv": want})
		devtest.Want(t, r, 200, "")
		if r.JSON(&sc); sc.AttachCSV == nil || *sc.AttachCSV != want {
			t.Fatalf("PATCH attach_csv %v = %s", want, r.Body)
		}
		var list struct {
			Schedules []struct {
				AttachCSV bool `json:"attach_csv"`
			} `json:"schedules"`
		}
		c.Do("GET", "/api/schedules", nil).JSON(&list)
		if len(list.Schedules) != 1 || list.Schedules[0].AttachCSV != want {
			t.Fatalf("GET after PATCH %v: %+v", want, list)
		}
	}
	devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+sc.ID, map[string]any{"attach_csv": "no"}), 400, "")
}
