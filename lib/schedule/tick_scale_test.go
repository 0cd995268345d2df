package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// BenchmarkTick100k is the delivery path's scale case: 100,000 schedules due in the same
// hour (Monday 09:00 in one zone). The tick reads the due set in pages of 500 — one range
// read, one pipelined load, one pipelined advance and one batch publish per page — and
// publishes one run-schedule message per schedule: report generation and sending fan out
// through QStash, nothing of them runs inside the tick. Run it against the real Redis:
//
//	REDIS_URL=redis://127.0.0.1:6379/4 go test -run '^$' -bench Tick100k -benchtime 3x ./lib/schedule
//
// It reports round trips and batches per tick, and the heap in use after the tick (what a
// tick holds at once is one page, so it does not grow with the due count).
func BenchmarkTick100k(b *testing.B) {
	if !storetest.Real() {
		b.Skip("needs the real Redis (REDIS_URL)")
	}
	s, p, clk, st := newService(b)
	ctx := context.Background()
	const due = 100_000
	seed := func() {
		st.R.Del(ctx, s.dueKey())
		for from := 0; from < due; from += 5000 {
			_, _ = st.R.Pipelined(ctx, func(pl redis.Pipeliner) error {
				for i := from; i < from+5000; i++ {
					uid, id := fmt.Sprintf("u%06d", i), "s"
					sc := Schedule{ID: id, Cadence: Weekly, Weekday: ip(1), Hour: 9, TimeZone: "Europe/Paris", Compare: period.PreviousPeriod, Recipients: []string{"o@example.com"}}
					raw, _ := json.Marshal(sc)
					pl.HSet(ctx, s.userKey(uid), id, raw)
					pl.ZAdd(ctx, s.dueKey(), redis.Z{Score: float64(at("2026-11-30T08:00:00Z").Unix()), Member: member(uid, id)})
				}
				return nil
			})
		}
	}
	clk.set(at("2026-11-30T08:05:00Z"))
	rt := storetest.CountRoundTrips(st)
	var trips, msgs, batches int64
	var heap uint64
	for b.Loop() {
		b.StopTimer()
		seed()
		p.mu.Lock()
		p.msgs, p.batches = nil, 0
		p.mu.Unlock()
		before := rt.N()
		b.StartTimer()
		res, err := s.Tick(ctx)
		b.StopTimer()
		if err != nil || res.Started != due {
			b.Fatalf("tick %+v, %v; due set %d", res, err, st.R.ZCard(ctx, s.dueKey()).Val())
		}
		trips, msgs, batches = rt.N()-before, int64(len(p.msgs)), int64(p.batches)
		p.mu.Lock()
		p.msgs = nil // the counting publisher's own copies are not the tick's memory
		p.mu.Unlock()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
		b.StartTimer()
	}
	b.ReportMetric(float64(trips), "roundtrips/op")
	b.ReportMetric(float64(msgs), "published/op")
	b.ReportMetric(float64(batches), "batches/op")
	b.ReportMetric(float64(heap)/1e6, "MB-heap-after")
}
