package schedule

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
)

// A schedule's runs ask for its comparison; one stored before compare existed asks for the
// period before, and old fingerprints keep matching.
func TestRunsKeepTheScheduleComparison(t *testing.T) {
	var old Schedule
	if err := json.Unmarshal([]byte(`{"id":"s1","cadence":"monthly","day":1,"hour":6,"timezone":"UTC"}`), &old); err != nil {
		t.Fatal(err)
	}
	yearly := old
	yearly.Compare = period.PreviousYear
	if got := RequestFor("u1", &yearly, time.Time{}).Compare; got != period.PreviousYear {
		t.Errorf("run of a previous_year schedule compares with %q", got)
	}
	if got := RequestFor("u1", &old, time.Time{}).Compare.OrDefault(); got != period.PreviousPeriod {
		t.Errorf("run of an old schedule compares with %q", got)
	}
	if old.fingerprint() != "monthly/1/6/UTC" {
		t.Errorf("old fingerprint changed: %q", old.fingerprint())
	}
	if yearly.fingerprint() == old.fingerprint() {
		t.Error("a previous_year schedule has the fingerprint of its previous_period twin")
	}
}
