package jobs_test

import (
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
)

// The local stand-in retries on the schedule the lifetime of a message is computed from.
func TestBackoffIsTheStandInsBackoff(t *testing.T) {
	for n := 1; n <= 10; n++ {
		if jobs.Backoff(n) != qstashdev.DefaultBackoff(n) {
			t.Errorf("retry %d: jobs waits %v, qstashdev %v", n, jobs.Backoff(n), qstashdev.DefaultBackoff(n))
		}
	}
}

func TestMessageLifetime(t *testing.T) {
	// 3 retries: 4 attempts of 60 s, each started within 5 min, and waits of 60 s (a 409's
	// Retry-After beats the 12 s backoff), 2 m 28 s and 30 m 8 s.
	want := 4*(time.Minute+5*time.Minute) + time.Minute + jobs.Backoff(2) + jobs.Backoff(3)
	if got := jobs.MessageLifetime(3); got != want {
		t.Fatalf("MessageLifetime(3) = %v, want %v", got, want)
	}
	if jobs.MessageLifetime(0) != time.Minute+5*time.Minute {
		t.Fatalf("MessageLifetime(0) = %v", jobs.MessageLifetime(0))
	}
}
