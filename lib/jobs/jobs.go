// Package jobs is how Metriqs runs work through QStash. A Publisher sends a job to one of the
// api/jobs functions (now, later, or on a cron schedule); Handler is the whole delivery
// pipeline of such a function: verify the Upstash-Signature, skip a message id that already
// completed, run, and answer in the terms QStash acts on (2xx done, 489 give up, else retry).
//
// A job is named like "generate-report" and always lives at AppURL + "/api/jobs/" + name, with
// AppURL taken from configuration, never from a request: a destination or an expected
// signature subject that followed the Host header could be pointed anywhere.
package jobs

import (
	"errors"
	"fmt"
	"regexp"
)

// PathPrefix is where every job function is served.
const PathPrefix = "/api/jobs/"

// StatusNonRetryable is QStash's "do not retry" status: with the header
// Upstash-NonRetryable-Error: true, QStash sends the message straight to its DLQ.
const StatusNonRetryable = 489

// Header names of a QStash delivery.
const (
	HeaderSignature    = "Upstash-Signature"
	HeaderMessageID    = "Upstash-Message-Id"
	HeaderRetried      = "Upstash-Retried"
	HeaderNonRetryable = "Upstash-NonRetryable-Error"
)

// jobName keeps names to one lowercase path segment, so a name can never add a path, a query
// or another host to a destination URL.
var jobName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Path is the path of the function that runs job.
func Path(job string) string { return PathPrefix + job }

func checkName(job string) error {
	if !jobName.MatchString(job) {
		return fmt.Errorf("jobs: invalid job name %q (want lowercase words joined by '-')", job)
	}
	return nil
}

// Permanent marks err as a failure that no retry can fix (the report was deleted, the
// payload is malformed). Handler answers it with 489 and Upstash-NonRetryable-Error, so QStash
// moves the message to its DLQ instead of retrying, and records the message as done.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Schedule is a recurring job that QStash triggers.
type Schedule struct {
	Job  string
	Cron string
}

// Schedules are every recurring job of the product: installed by cmd/install-schedules for a
// deployment, and by the local server at start-up.
var Schedules = []Schedule{
	{Job: "tick", Cron: "0 * * * *"},           // starts due report schedules (lib/schedule)
	{Job: "sweep-deleted", Cron: "30 3 * * *"}, // purges deleted accounts whose purge is overdue (lib/deletion)
	{Job: "keep-alive", Cron: "15 4 * * *"},    // renews tokens unused for a month (lib/integration)
}
