package schedule

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
)

// JobRun is the job (lib/delivery, api/jobs/run-schedule) that starts one run of a schedule:
// the run record and its report. The tick only publishes it.
const JobRun = "run-schedule"

// RunRetries is how many times QStash retries a run-schedule message.
const RunRetries = 3

// RunJob is the body of a run-schedule message.
type RunJob struct {
	UserID     string    `json:"user_id"`
	ScheduleID string    `json:"schedule_id"`
	DueAt      time.Time `json:"due_at"`
	// RunID is set by "Send now" (a run of its own); a ticked run's id is RunIDFor.
	RunID string `json:"run_id,omitempty"`
	// Manual marks "Send now" (it runs even while paused); Test: only to the owner, marked
	// as a test.
	Manual bool `json:"manual,omitempty"`
	Test   bool `json:"test,omitempty"`
}

// RunIDFor is the id of the run of schedule id due at due: the same for every tick and every
// redelivery, so that one due time is one run. It has the form of lib/ids (26 lower-case
// base32 characters), being also the id of the run's report.
func RunIDFor(userID, id string, due time.Time) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + id + "\x00" + strconv.FormatInt(due.Unix(), 10)))
	return runIDs.EncodeToString(sum[:16])
}

var runIDs = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// runMessage is the run-schedule message of a due entry, deduplicated by schedule and due time.
func runMessage(e *dueEntry) jobs.Message {
	due := time.Unix(int64(e.score), 0).UTC()
	id := RunIDFor(e.userID, e.id, due)
	return jobs.Message{Job: JobRun, Body: RunJob{UserID: e.userID, ScheduleID: e.id, DueAt: due, RunID: id},
		Options: []jobs.Option{jobs.DeduplicationID("run-" + id), jobs.Retries(RunRetries)}}
}
