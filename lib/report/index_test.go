package report

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// Deleting the user's last report while others are created, released together, 20 times:
// the report list is never outside the user's index, and neither is any report.
func TestReportListNeverLeavesTheIndex(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	ctx := context.Background()
	for trial := 0; trial < 20; trial++ {
		last := create(t, s, "u1")
		storetest.Together(4, func(i int) {
			if i == 0 {
				_ = s.Delete(ctx, "u1", last.ID)
			} else {
				create(t, s, "u1")
			}
		})
		index := st.R.SMembers(ctx, st.IndexKey("u1")).Val()
		for _, k := range keysButIndex(t, st, "u1") {
			if k != s.listKey("u1") && !strings.HasPrefix(k, st.Key("report")+":") {
				continue // shared keys (the in-flight set)
			}
			found := false
			for _, m := range index {
				found = found || m == k
			}
			if !found {
				t.Fatalf("trial %d: %s exists outside the user's index", trial, k)
			}
		}
		for _, id := range st.R.ZRange(ctx, s.listKey("u1"), 0, -1).Val() {
			_ = s.Delete(ctx, "u1", id)
		}
	}
}

// afterDelete runs f once, right after the script that deletes a report and before anything
// that follows it: the interleaving that let the list escape.
type afterDelete struct {
	once sync.Once
	f    func()
}

func (h *afterDelete) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *afterDelete) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		err := next(ctx, c)
		if a := c.Args(); err == nil && len(a) > 1 && a[1] == removeScript.Hash() {
			h.once.Do(h.f)
		}
		return err
	}
}
func (h *afterDelete) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A report created right after the last one's deletion committed, before the deletion
// returns: its list is in the user's index (it used to be dropped from it afterwards, and
// then outlived the account).
func TestReportCreatedDuringTheLastDeletionStaysIndexed(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	ctx := context.Background()
	last := create(t, s, "u1")
	removeScript.Load(ctx, st.R) // so that the deletion is one EVALSHA, which the hook knows
	st.R.AddHook(&afterDelete{f: func() { create(t, s, "u1") }})
	if err := s.Delete(ctx, "u1", last.ID); err != nil {
		t.Fatal(err)
	}
	if st.R.ZCard(ctx, s.listKey("u1")).Val() != 1 {
		t.Fatal("the hook did not create the second report")
	}
	if !st.R.SIsMember(ctx, st.IndexKey("u1"), s.listKey("u1")).Val() {
		t.Fatal("the report list exists outside the user's index")
	}
}
