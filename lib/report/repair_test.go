package report

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// later moves the service's clock past the generation deadline of reports created at now.
func later(s *Service) { s.now = func() time.Time { return now.Add(GenerationDeadline + time.Minute) } }

func inflight(t *testing.T, s *Service, st *store.Store) []string {
	t.Helper()
	ids, err := st.R.ZRange(context.Background(), s.inflightKey(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// assertTimedOut checks what Redis holds for a report failed as timed out.
func assertTimedOut(t *testing.T, s *Service, st *store.Store, id string) {
	t.Helper()
	ctx := context.Background()
	if got := st.R.HGet(ctx, s.key(id), "status").Val(); got != Failed {
		t.Fatalf("status in Redis = %q, want failed", got)
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d := rec.Doc
	if d.ErrorCode != ErrCodeTimedOut || d.Error == "" || d.CompletedAt == nil || d.Status != Failed {
		t.Fatalf("stored report = %+v", d)
	}
	if n, _ := st.R.HGet(ctx, s.usageKey(rec.UserID), "2026-11:reports").Int(); n != 0 {
		t.Fatalf("a timed-out report counted in usage: %d", n)
	}
}

// The generation deadline covers every attempt QStash can make (4 × 60 s, the backoffs of 3
// retries, queueing) and no more than the hour between two ticks allows for.
func TestGenerationDeadline(t *testing.T) {
	if GenerationDeadline < 4*time.Minute+30*time.Minute || GenerationDeadline > 2*time.Hour {
		t.Fatalf("GenerationDeadline = %v", GenerationDeadline)
	}
}

// A report whose job died (the local server killed, a message in QStash's DLQ) stays running
// until the tick's repair fails it as timed out; a report still within its deadline is left
// alone, and a late delivery of the dead job changes nothing.
func TestRepairStuckFailsReportsPastTheirDeadline(t *testing.T) {
	ctx := context.Background()
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	queued, running := create(t, s, "u1"), create(t, s, "u1")
	if _, err := s.markRunning(ctx, running.ID); err != nil {
		t.Fatal(err)
	}
	later(s)
	fresh := create(t, s, "u1")
	if got := inflight(t, s, st); len(got) != 3 {
		t.Fatalf("in-flight set = %v, want the 3 reports", got)
	}
	n, err := s.RepairStuck(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RepairStuck = %d, %v; want 2", n, err)
	}
	assertTimedOut(t, s, st, queued.ID)
	assertTimedOut(t, s, st, running.ID)
	if got := inflight(t, s, st); len(got) != 1 || got[0] != fresh.ID {
		t.Fatalf("in-flight set = %v, want only %s", got, fresh.ID)
	}
	if got := st.R.HGet(ctx, s.key(fresh.ID), "status").Val(); got != Queued {
		t.Fatalf("a report within its deadline became %q", got)
	}
	if n, err := s.RepairStuck(ctx); err != nil || n != 0 {
		t.Fatalf("second repair = %d, %v; want 0", n, err)
	}
	if err := s.Generate(ctx, body(running.ID)); err != nil {
		t.Fatal(err)
	}
	assertTimedOut(t, s, st, running.ID)
}

// Reading a stuck report (one at a time, or in the list) repairs it: the customer sees
// failed with the reason, not running forever.
func TestReadingAStuckReportRepairsIt(t *testing.T) {
	ctx := context.Background()
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	one, two := create(t, s, "u1"), create(t, s, "u1")
	later(s)
	got, err := s.Get(ctx, "u1", one.ID)
	if err != nil || got.Status != Failed || got.ErrorCode != ErrCodeTimedOut {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	assertTimedOut(t, s, st, one.ID)
	list, err := s.List(ctx, "u1")
	if err != nil || len(list) != 2 || list[0].Status != Failed || list[1].Status != Failed {
		t.Fatalf("List = %+v, %v", list, err)
	}
	assertTimedOut(t, s, st, two.ID)
	if got := inflight(t, s, st); len(got) != 0 {
		t.Fatalf("in-flight set = %v after the repairs", got)
	}
}

// Twenty repairs (ticks, reads) released together with the job finishing: one outcome. Either
// the job's report (counted once) or the timeout (counted never), never one over the other,
// and the report leaves the in-flight set.
func TestRepairsRacingAFinishingJobHaveOneOutcome(t *testing.T) {
	ctx := context.Background()
	for trial := 0; trial < 10; trial++ {
		s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
		r := create(t, s, "u1")
		if _, err := s.markRunning(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		outs := s.fetchAll(ctx, "u1", r)
		later(s)
		var mu sync.Mutex
		repaired := 0
		storetest.Together(20, func(i int) {
			switch {
			case i == 10:
				doc := *r
				if err := s.finish(ctx, "u1", &doc, outs); err != nil {
					t.Error(err)
				}
			case i%2 == 0:
				n, err := s.RepairStuck(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				repaired += n
				mu.Unlock()
			default:
				if _, err := s.Get(ctx, "u1", r.ID); err != nil {
					t.Error(err)
				}
			}
		})
		status := st.R.HGet(ctx, s.key(r.ID), "status").Val()
		usage, _ := st.R.HGet(ctx, s.usageKey("u1"), "2026-11:reports").Int()
		rec, err := s.load(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case Ready:
			if usage != 1 || rec.Doc.ErrorCode != "" || repaired != 0 {
				t.Fatalf("trial %d: ready, usage %d, error_code %q, tick repairs %d", trial, usage, rec.Doc.ErrorCode, repaired)
			}
		case Failed:
			assertTimedOut(t, s, st, r.ID)
			if repaired > 1 {
				t.Fatalf("trial %d: %d repairs wrote", trial, repaired)
			}
		default:
			t.Fatalf("trial %d: status %q", trial, status)
		}
		if got := inflight(t, s, st); len(got) != 0 {
			t.Fatalf("trial %d: in-flight set = %v", trial, got)
		}
	}
}

// The in-flight set follows the report: in it from creation, out of it when it finishes or
// is deleted.
func TestInflightSetFollowsTheReport(t *testing.T) {
	ctx := context.Background()
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	done, gone := create(t, s, "u1"), create(t, s, "u1")
	if got := inflight(t, s, st); len(got) != 2 {
		t.Fatalf("in-flight set = %v", got)
	}
	if err := s.Generate(ctx, body(done.ID)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "u1", gone.ID); err != nil {
		t.Fatal(err)
	}
	if got := inflight(t, s, st); len(got) != 0 {
		t.Fatalf("in-flight set = %v after finishing and deleting", got)
	}
}
