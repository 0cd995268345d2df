package jobs

import (
	"math"
	"time"
)

// QueueSlack allows for QStash's own delay between a publish (or a retry falling due) and the
// delivery starting. QStash documents no bound; five minutes is an assumption, generous
// against the seconds observed.
const QueueSlack = 5 * time.Minute

// Backoff is QStash's documented wait before retry n (n = 1, 2, …): min(1 day, e^(2.5 n))
// seconds — 12 s, 2 m 28 s, 30 m 8 s, … (lib/qstashdev waits the same; a test holds them
// equal).
func Backoff(n int) time.Duration {
	secs := math.Min(86400, math.Exp(2.5*float64(n)))
	return time.Duration(secs * float64(time.Second))
}

// MessageLifetime is the longest QStash can keep working on a message published with
// Retries(retries), from the publish to the end of its last attempt: every attempt may run
// for the jobs' maxDuration (DefaultRunningTTL), and before each retry QStash waits its
// backoff, or up to a claim's lifetime when a 409 job_running asked for that with
// Retry-After, each start delayed by at most QueueSlack. Past it, a job that has not
// recorded its outcome never will: its message is in the DLQ or was lost with its function.
func MessageLifetime(retries int) time.Duration {
	d := time.Duration(retries+1) * (DefaultRunningTTL + QueueSlack)
	for n := 1; n <= retries; n++ {
		d += max(Backoff(n), DefaultRunningTTL)
	}
	return d
}
