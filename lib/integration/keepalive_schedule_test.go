package integration_test

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
)

// The keep-alive job is one of the product's schedules and runs at least daily: KeepAliveAfter
// counts on a month of renewals due and five months of daily retries before an unused Google
// or GitHub refresh token would die (issue 14, item 8). Without the schedule nothing renews.
func TestKeepAliveIsScheduledDaily(t *testing.T) {
	for _, s := range jobs.Schedules {
		if s.Job != integration.KeepAliveJobName {
			continue
		}
		sched, err := cron.ParseStandard(s.Cron)
		if err != nil {
			t.Fatalf("keep-alive cron %q: %v", s.Cron, err)
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for range 400 { // every gap over a year and a bit, leap days and month ends included
			next := sched.Next(at)
			if next.Sub(at) > 24*time.Hour {
				t.Fatalf("keep-alive cron %q leaves %v between %v and %v", s.Cron, next.Sub(at), at, next)
			}
			at = next
		}
		return
	}
	t.Fatalf("no %q among jobs.Schedules", integration.KeepAliveJobName)
}
