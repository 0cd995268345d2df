package integration

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/store"
)

// KeepAliveJobName is the daily job that renews the tokens of connections nobody used for a
// while (api/jobs/keep-alive), scheduled in lib/jobs' Schedules.
const KeepAliveJobName = "keep-alive"

// KeepAliveAfter is how long a token may go unrenewed before the job renews it. Google
// refresh tokens die after six months unused and GitHub's after six months (each refresh
// gives a new one), so a customer who only reads a report now and then would find the
// connection dead; renewing after 30 days leaves five months of daily retries before that.
const KeepAliveAfter = 30 * 24 * time.Hour

// keepAlivePages is how many index pages one message works through before it hands the
// rest to a message of its own: a run stays well inside the function's 60 s.
const keepAlivePages = 5

// keepAliveParallel is how many renewals run at once within a page.
const keepAliveParallel = 8

// keepAliveMessage is the body of a keep-alive message: where in the integrations index to
// go on (0, or an empty body from the schedule, is the start).
type keepAliveMessage struct {
	Cursor uint64 `json:"cursor,omitempty"`
}

// KeepAliveJob is the work of api/jobs/keep-alive, with the instance's Service.
func KeepAliveJob(ctx context.Context, body []byte) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.KeepAliveJob(ctx, body)
}

// KeepAliveJob renews every connected token that IdleLimit could kill and that was last
// renewed (or connected) more than KeepAliveAfter ago, paging through the integrations
// index with SSCAN. Renewing is the refresh reports use (under the integration's lock, and
// only while the stored token is stale), so a second delivery of the message, or two at
// once, renew nothing twice: a renewed token is no longer KeepAliveAfter old. What is left
// after keepAlivePages pages goes on in a new message, one per day and cursor.
func (s *Service) KeepAliveJob(ctx context.Context, body []byte) error {
	var m keepAliveMessage
	if len(body) > 0 && json.Unmarshal(body, &m) != nil {
		return jobs.Permanent(fmt.Errorf("keep-alive: bad body %q", body))
	}
	cursor, failed := m.Cursor, error(nil)
	for range keepAlivePages {
		members, next, err := s.o.Store.R.SScan(ctx, s.indexKey(), cursor, "", int64(cmp.Or(s.o.KeepAlivePage, 100))).Result()
		if err != nil {
			return store.Err(fmt.Errorf("keep-alive: scan: %w", err))
		}
		failed = cmp.Or(failed, s.keepAlivePage(ctx, members))
		if cursor = next; cursor == 0 {
			return failed
		}
	}
	return cmp.Or(s.continueKeepAlive(ctx, cursor), failed)
}

// continueKeepAlive queues the rest of the pass. Two deliveries of one message queue it once.
func (s *Service) continueKeepAlive(ctx context.Context, cursor uint64) error {
	pub, err := s.publisher()
	if err != nil {
		return err
	}
	id := KeepAliveJobName + "-" + s.o.Now().UTC().Format("2006-01-02") + "-" + strconv.FormatUint(cursor, 10)
	_, err = pub.Publish(ctx, KeepAliveJobName, keepAliveMessage{Cursor: cursor}, jobs.DeduplicationID(id))
	return err
}

// keepAlivePage renews what needs it among index members ("{user}:{provider}"), a few at a
// time, and returns the first failure worth a retry (QStash retries the message; what was
// renewed is skipped then).
func (s *Service) keepAlivePage(ctx context.Context, members []string) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, keepAliveParallel)
	)
	for _, m := range members {
		userID, providerID, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := s.keepAlive(ctx, userID, providerID); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// keepAlive renews one integration's token if it is due. A refusal has been recorded by the
// refresh (needs_reauth, the notice): only a transient failure is returned.
func (s *Service) keepAlive(ctx context.Context, userID, providerID string) error {
	p, err := s.configured(providerID)
	if err != nil || p.IdleLimit == 0 {
		return nil // not configured here any more, or its tokens do not die of disuse
	}
	rec, err := s.load(ctx, userID, p.ID)
	if errors.Is(err, ErrNotConnected) {
		return nil // disconnected since the scan; its index entry goes with it
	}
	if err != nil {
		return err
	}
	if rec.Status != StatusConnected || rec.Refresh == "" || s.o.Now().Sub(rec.IssuedAt) < KeepAliveAfter {
		return nil
	}
	if _, _, err = s.refresh(ctx, userID, p); err != nil && errors.Is(err, metrics.ErrTransient) {
		return fmt.Errorf("keep-alive %s: %w", p.ID, err)
	}
	if err != nil {
		slog.Info("keep-alive: renewal refused", "provider", p.ID, "err", err)
	}
	return nil
}
