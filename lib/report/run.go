package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
)

// JobDeliverRun is the job (served by lib/delivery, api/jobs/deliver-run) that sends a
// schedule run's report once it has finished. Generation publishes it, so the mail code
// stays out of the generate-report function (docs/performance.md).
const JobDeliverRun = "deliver-run"

// DeliverBody is the body of a deliver-run message.
type DeliverBody struct {
	UserID     string `json:"user_id"`
	ScheduleID string `json:"schedule_id"`
	RunID      string `json:"run_id"`
}

// finished publishes the delivery of a run's report; QStash folds the copies a redelivered
// generation publishes (deduplication by run), and the delivery is idempotent itself.
func (s *Service) finished(ctx context.Context, userID string, doc *Report) error {
	if doc.RunID == "" {
		return nil
	}
	body := DeliverBody{UserID: userID, ScheduleID: doc.ScheduleID, RunID: doc.RunID}
	_, err := s.pub.Publish(ctx, JobDeliverRun, body, jobs.DeduplicationID("deliver-"+doc.RunID), jobs.Retries(Retries))
	if err != nil {
		return fmt.Errorf("report %s: publish its delivery: %w", doc.ID, err)
	}
	return nil
}

// CreateOnce is Create for a run: req.ID is fixed by the run, and a report already stored
// under it is kept (a redelivered run job must not reset a report that is running or done);
// its generation is published again, which QStash folds into the first.
func (s *Service) CreateOnce(ctx context.Context, req Request) (*Report, error) {
	if req.ID == "" {
		return nil, errors.New("report: CreateOnce without an id")
	}
	doc, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.saveOnce(ctx, req.UserID, doc); err != nil {
		return nil, err
	}
	if _, err := s.pub.Publish(ctx, JobGenerate, generateBody{ReportID: doc.ID}, jobs.DeduplicationID(doc.ID), jobs.Retries(Retries)); err != nil {
		return nil, fmt.Errorf("report: publish: %w", err) // the run job's retry publishes again
	}
	return doc, nil
}

// saveOnce stores doc unless its key exists, in a WATCHed transaction.
func (s *Service) saveOnce(ctx context.Context, userID string, doc *Report) error {
	k := s.key(doc.ID)
	err := s.st.R.Watch(ctx, func(tx *redis.Tx) error {
		if n, err := tx.Exists(ctx, k).Result(); err != nil || n > 0 {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			s.queue(ctx, p, userID, doc)
			return nil
		})
		return err
	}, k)
	if errors.Is(err, redis.TxFailedErr) {
		return nil // a twin delivery stored it meanwhile
	}
	return store.Err(err)
}

// Publisher is the service's job publisher, which the tick shares (lib/schedule).
func (s *Service) Publisher() Publisher { return s.pub }
