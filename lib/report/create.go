package report

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/store"
)

// JobGenerate is the job that generates a report.
const JobGenerate = "generate-report"

// Request is what a report is made from.
type Request struct {
	UserID   string
	Spec     period.Spec
	Location *time.Location
	// Compare is what the period is compared with; empty means period.PreviousPeriod.
	Compare period.Compare
	// ScheduleID is set for reports a schedule made.
	ScheduleID string
	// RunID names the schedule run the report is for (lib/delivery): when it is set, the
	// report's end publishes JobDeliverRun. At is the run's due time, so that a late or
	// redelivered run resolves the same period; ID makes the report id the run's own.
	RunID string
	At    time.Time
	ID    string
}

// ErrNoIntegrations is the answer to a report request with nothing connected.
var ErrNoIntegrations = problem.Conflict("no_integrations", "Connect at least one integration before requesting a report.")

// Create stores a queued report and publishes its generation, with the report id as the
// QStash deduplication id so a retried request cannot queue the work twice.
func (s *Service) Create(ctx context.Context, req Request) (*Report, error) {
	doc, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	return doc, s.enqueue(ctx, req.UserID, doc)
}

// Request is Create within the user's hourly quota (RequestLimit) and, with WithUsage, the
// plan's sources per report and reports per month (plan.go). Only an accepted request
// counts: it is validated first, its place in the quota is reserved in one atomic step (so
// parallel requests cannot take more than the quota between them), and the place is given
// back if the report cannot be stored or queued — a client retrying a 503, as API.md tells
// it to, does not lock itself out.
func (s *Service) Request(ctx context.Context, req Request) (*Report, error) {
	return s.request(ctx, req, s.usage)
}

// request is Request with the plan enforced through u (none when nil).
func (s *Service) request(ctx context.Context, req Request, u Limits) (*Report, error) {
	doc, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	quota, err := ratelimit.New(s.st).Reserve(ctx, RequestLimit, req.UserID)
	if err != nil {
		return nil, err
	}
	month, err := monthly(ctx, u, req.UserID, doc.sources)
	if err == nil {
		if err = s.enqueue(ctx, req.UserID, doc); err != nil && month != nil {
			month.Release(ctx)
		}
	}
	if err != nil {
		if rerr := quota.Release(context.WithoutCancel(ctx)); rerr != nil {
			slog.Warn("report: could not give back a failed request's quota", "err", rerr)
		}
		return nil, err
	}
	return doc, nil
}

// enqueue stores a prepared report and publishes its generation.
func (s *Service) enqueue(ctx context.Context, userID string, doc *Report) error {
	if err := s.save(ctx, userID, doc); err != nil {
		return err
	}
	if _, err := s.pub.Publish(ctx, JobGenerate, generateBody{ReportID: doc.ID}, jobs.DeduplicationID(doc.ID), jobs.Retries(Retries)); err != nil {
		// Without its message the report would stay queued for ever: take it back.
		_ = s.Delete(context.WithoutCancel(ctx), userID, doc.ID)
		return fmt.Errorf("report: publish: %w", err)
	}
	return nil
}

// prepare resolves the period and checks there is something to report on.
func (s *Service) prepare(ctx context.Context, req Request) (*Report, error) {
	now := s.now()
	if !req.At.IsZero() {
		now = req.At
	}
	p, err := period.Resolve(req.Spec, now, req.Location)
	if err != nil {
		return nil, err
	}
	p = p.Compared(req.Compare)
	conns, err := s.conns.Connected(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	if len(conns) == 0 {
		return nil, ErrNoIntegrations
	}
	id := req.ID
	if id == "" {
		id = ids.New()
	}
	return &Report{
		ID: id, RunID: req.RunID, Title: period.Title(p), Status: Queued, Period: p,
		CreatedAt: s.now().UTC().Truncate(time.Second), Sections: []metrics.Section{}, ScheduleID: req.ScheduleID,
		sources: len(conns),
	}, nil
}

// save stores a new report and lists it under its user.
func (s *Service) save(ctx context.Context, userID string, doc *Report) error {
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		s.queue(ctx, p, userID, doc)
		return nil
	})
	return store.Err(err)
}

// queue adds the commands that store a new report to p.
func (s *Service) queue(ctx context.Context, p redis.Pipeliner, userID string, doc *Report) {
	b, _ := json.Marshal(doc)
	k, lk := s.key(doc.ID), s.listKey(userID)
	p.HSet(ctx, k, "uid", userID, "status", Queued, "doc", b)
	p.ZAdd(ctx, lk, redis.Z{Score: float64(doc.CreatedAt.Unix()), Member: doc.ID})
	p.ZAdd(ctx, s.inflightKey(), redis.Z{Score: float64(doc.CreatedAt.Unix()), Member: doc.ID}) // until it finishes (repair.go)
	s.st.Own(ctx, p, userID, k, lk)
}

type generateBody struct {
	ReportID string `json:"report_id"`
}

// CreateBatch queues several reports (a tick's due schedules) with one pipeline to store them
// and one batch publish. A request that cannot be prepared (nothing connected, say) is skipped
// and its error returned in errs at the same index.
func (s *Service) CreateBatch(ctx context.Context, reqs []Request) (docs []*Report, errs []error, err error) {
	docs = make([]*Report, len(reqs))
	errs = make([]error, len(reqs))
	var msgs []jobs.Message
	for i, req := range reqs {
		if docs[i], errs[i] = s.prepare(ctx, req); errs[i] == nil {
			msgs = append(msgs, jobs.Message{Job: JobGenerate, Body: generateBody{ReportID: docs[i].ID},
				Options: []jobs.Option{jobs.DeduplicationID(docs[i].ID), jobs.Retries(Retries)}})
		}
	}
	if len(msgs) == 0 {
		return docs, errs, nil
	}
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, doc := range docs {
			if doc != nil {
				s.queue(ctx, p, reqs[i].UserID, doc)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, store.Err(err)
	}
	if _, err := s.pub.PublishBatch(ctx, msgs); err != nil {
		return nil, nil, fmt.Errorf("report: publish batch: %w", err)
	}
	return docs, errs, nil
}
