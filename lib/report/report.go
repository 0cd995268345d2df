// Package report is what customers pay for: a report of every connected integration's
// numbers for a period against the period before. A request stores the report `queued` and
// publishes a QStash message; the generate-report job fetches every section in parallel and
// stores the result once, idempotently.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Statuses of a report: queued → running → ready | partial | failed.
const (
	Queued  = "queued"
	Running = "running"
	Ready   = "ready"
	Partial = "partial"
	Failed  = "failed"
)

// Report is a report as GET /api/reports/{id} shows it.
type Report struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Status      string            `json:"status"`
	Period      period.Period     `json:"period"`
	CreatedAt   time.Time         `json:"created_at"`
	CompletedAt *time.Time        `json:"completed_at"`
	Sections    []metrics.Section `json:"sections"`
	// ScheduleID names the schedule that made the report, if one did.
	ScheduleID string `json:"schedule_id,omitempty"`
	// RunID names the schedule run that made the report (lib/delivery), if one did.
	RunID string `json:"run_id,omitempty"`
	// Error says why a failed report failed, when no section does.
	Error string `json:"error,omitempty"`
	// ErrorCode is the stable code of Error: generation_timed_out (ErrCodeTimedOut).
	ErrorCode string `json:"error_code,omitempty"`
	// sources is how many integrations a report being created will read (one section each).
	sources int
}

// Summary is a row of GET /api/reports.
type Summary struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Period    period.Period `json:"period"`
	Status    string        `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
}

// Connections is what reports need of integrations: which are connected, and an authorized
// client with the user's choices for each.
type Connections interface {
	Connected(ctx context.Context, userID string) ([]string, error)
	Client(ctx context.Context, userID, provider string) (*http.Client, metrics.Selection, error)
	// RefusedAccess records that a provider refused the stored token during a fetch.
	RefusedAccess(ctx context.Context, userID, provider string) error
}

// Publisher sends job messages (lib/jobs in production).
type Publisher interface {
	Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error)
	PublishBatch(ctx context.Context, msgs []jobs.Message) ([]string, error)
}

// Service creates, generates and reads reports.
type Service struct {
	st       *store.Store
	conns    Connections
	fetchers map[string]metrics.Fetcher
	pub      Publisher
	now      func() time.Time
	usage    Limits // plan limits (plan.go); nil: none
	// SectionTimeout bounds each provider's fetch, so one slow provider cannot hold the
	// whole report past the function's time limit.
	SectionTimeout time.Duration
}

// New returns a Service.
func New(st *store.Store, conns Connections, fetchers map[string]metrics.Fetcher, pub Publisher, now func() time.Time) *Service {
	return &Service{st: st, conns: conns, fetchers: fetchers, pub: pub, now: now, SectionTimeout: 25 * time.Second}
}

// Retries is how many times QStash retries a generate-report message. The job counts its
// attempts in the report's record and treats attempt Retries+1 as its last chance, finishing
// the report then, failed sections and all.
const Retries = 3

func (s *Service) key(id string) string          { return s.st.Key("report", id) }
func (s *Service) listKey(userID string) string  { return s.st.Key("user", userID, "reports") }
func (s *Service) usageKey(userID string) string { return s.st.Key("user", userID, "usage") }

// Errors of reading reports.
var (
	// ErrNotFound: the report does not exist or is not the caller's (the same answer, so ids
	// of other users' reports cannot be probed).
	ErrNotFound = problem.NotFound("No such report.")
	// ErrNotReady: a CSV of a report that is still being generated.
	ErrNotReady = problem.Conflict("report_not_ready", "The report is still being generated.")
)

// stored is the report record: the owner and status beside the document, so ownership and
// idempotency checks read two small fields, not the whole report.
type stored struct {
	UserID string
	Status string
	Doc    Report
}

func (s *Service) load(ctx context.Context, id string) (*stored, error) {
	f, err := s.st.R.HGetAll(ctx, s.key(id)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	if len(f) == 0 {
		return nil, store.ErrNotFound
	}
	var doc Report
	if err := json.Unmarshal([]byte(f["doc"]), &doc); err != nil {
		return nil, fmt.Errorf("report %s: decode: %w", id, err)
	}
	doc.Status = f["status"]
	return &stored{UserID: f["uid"], Status: f["status"], Doc: doc}, nil
}

// Get returns the user's report.
func (s *Service) Get(ctx context.Context, userID, id string) (*Report, error) {
	r, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.UserID != userID) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.repairIfStuck(ctx, r)
}

func finished(status string) bool { return status == Ready || status == Partial || status == Failed }
