package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Generate is the generate-report job: load → mark running → fetch every section in
// parallel → finish. A message for a finished report changes nothing; a transient provider
// failure asks QStash to retry, until the last retry, which finishes with what it has.
func (s *Service) Generate(ctx context.Context, body []byte) error {
	var in generateBody
	if err := json.Unmarshal(body, &in); err != nil || !ids.Valid(in.ReportID) {
		return jobs.Permanent(fmt.Errorf("generate-report: bad body %q", body))
	}
	rec, err := s.load(ctx, in.ReportID)
	if errors.Is(err, store.ErrNotFound) {
		// Deleted (by the user, or with the account) before it ran: nothing to do.
		return nil
	}
	if err != nil {
		return err
	}
	if finished(rec.Status) {
		return s.finished(ctx, rec.UserID, &rec.Doc) // a redelivery after the end: publish again
	}
	attempt, err := s.markRunning(ctx, in.ReportID)
	if err != nil || attempt == 0 {
		return err // 0: deleted or finished since the load
	}
	sections := s.fetchAll(ctx, rec.UserID, &rec.Doc)
	// The last attempt is counted in Redis, not read from Upstash-Retried, which QStash does
	// not sign: a forged header must not make the job give up early.
	last := attempt > Retries
	if retry := transient(sections); retry != nil && !last {
		return fmt.Errorf("generate-report %s: %w", in.ReportID, retry)
	}
	if err := s.finish(ctx, rec.UserID, &rec.Doc, sections); err != nil {
		return err
	}
	return s.finished(ctx, rec.UserID, &rec.Doc)
}

// outcome is one provider's section, with the error behind a failed one.
type outcome struct {
	section metrics.Section
	err     error
}

// fetchAll fetches each connected provider's sections at the same time, so a report takes
// about as long as its slowest provider, each bounded by SectionTimeout. A provider with
// several sources chosen (two GA4 properties) gives a section per source, in their order.
func (s *Service) fetchAll(ctx context.Context, userID string, doc *Report) []outcome {
	providers, err := s.conns.Connected(ctx, userID)
	if err != nil {
		return []outcome{{section: *metrics.Failed("metriqs", err), err: err}}
	}
	out := make([][]outcome, len(providers))
	var wg sync.WaitGroup
	for i, provider := range providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.fetchProvider(ctx, userID, provider, doc)
		}()
	}
	wg.Wait()
	return slices.Concat(out...)
}

// fetchProvider fetches every source of one provider, side by side, with one client.
func (s *Service) fetchProvider(ctx context.Context, userID, provider string, doc *Report) []outcome {
	ctx, cancel := context.WithTimeout(ctx, s.SectionTimeout)
	defer cancel()
	f, ok := s.fetchers[provider]
	if !ok {
		err := fmt.Errorf("no fetcher for %s", provider)
		return []outcome{{section: *metrics.Failed(provider, err), err: err}}
	}
	hc, sel, err := s.conns.Client(ctx, userID, provider)
	if err != nil {
		return []outcome{s.failed(ctx, userID, provider, nil, err)}
	}
	sources := sel.Split()
	out := make([]outcome, len(sources))
	var wg sync.WaitGroup
	for i, one := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.fetchOne(ctx, userID, provider, f, hc, one, doc)
		}()
	}
	wg.Wait()
	return out
}

func (s *Service) fetchOne(ctx context.Context, userID, provider string, f metrics.Fetcher, hc *http.Client, sel metrics.Selection, doc *Report) outcome {
	sec, err := f.Fetch(ctx, hc, sel, doc.Period)
	if err != nil {
		return s.failed(ctx, userID, provider, sel.Source(provider), err)
	}
	if sec.Source == nil { // a fetcher that knows the name sets it itself
		sec.Source = sel.Source(provider)
	}
	if sec.TimeZone == "" { // the provider's days are the user's (the period's)
		sec.TimeZone = doc.Period.TimeZone
	}
	return outcome{section: *sec}
}

// failed is the failed section of a source (nil: the provider's), with the error behind it.
func (s *Service) failed(ctx context.Context, userID, provider string, src *metrics.Source, err error) outcome {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("%w: %s did not answer within %s", metrics.ErrTransient, provider, s.SectionTimeout)
	case errors.Is(err, metrics.ErrReauth):
		// Ask the user to reconnect on the integrations page too, not only in this report.
		if rerr := s.conns.RefusedAccess(context.WithoutCancel(ctx), userID, provider); rerr != nil {
			slog.Error("report: could not mark integration needs_reauth", "provider", provider, "err", rerr)
		}
	}
	slog.Warn("report section failed", "provider", provider, "err", err)
	sec := metrics.Failed(provider, err)
	sec.Source = src // which of several sources failed
	return outcome{section: *sec, err: err}
}

// transient returns the first failure worth retrying, or nil.
func transient(outs []outcome) error {
	for _, o := range outs {
		if o.err != nil && errors.Is(o.err, metrics.ErrTransient) {
			return o.err
		}
	}
	return nil
}

// startScript marks a report running only while it exists and has not finished: a plain
// HSET on a report deleted meanwhile would create a stub outside the user's index, which
// neither the purge nor the 30-day backstop would ever remove. It counts the attempt and
// returns its number (0: not started). The job ledger lets one delivery at a time get here.
var startScript = redisScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
`)

// markRunning starts an attempt at generating the report and returns its number, 1 for the
// first; 0 when the report is gone or finished.
func (s *Service) markRunning(ctx context.Context, id string) (int, error) {
	n, err := startScript.Run(ctx, s.st.R, []string{s.key(id)}, Running).Int()
	if err != nil {
		return 0, store.Err(fmt.Errorf("report: mark %s running: %w", id, err))
	}
	return n, nil
}

// finishScript stores a finished report only if it has not finished yet (nor been failed
// by the repair of stuck reports), counts it in the user's monthly usage, and drops it from
// the in-flight set, in one round trip whatever the number of sections.
var finishScript = redisScript(`
redis.call('ZREM', KEYS[3], ARGV[4])
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'doc', ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1
`)

func (s *Service) finish(ctx context.Context, userID string, doc *Report, outs []outcome) error {
	doc.Sections = make([]metrics.Section, len(outs))
	failed := 0
	for i, o := range outs {
		doc.Sections[i] = o.section
		if o.err != nil {
			failed++
		}
	}
	switch {
	case failed == 0:
		doc.Status = Ready
	case failed < len(outs):
		doc.Status = Partial
	default:
		doc.Status = Failed
	}
	now := s.now().UTC().Truncate(time.Second)
	doc.CompletedAt = &now
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("report: encode: %w", err)
	}
	usage := now.Format("2006-01") + ":reports"
	return store.Err(finishScript.Eval(ctx, s.st.R, []string{s.key(doc.ID), s.usageKey(userID), s.inflightKey()}, doc.Status, b, usage, doc.ID).Err())
}
