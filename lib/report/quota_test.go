package report

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// keysButIndex lists the store's keys but the user's index, which may still list the (empty)
// report list: collection keys stay listed for the account's life.
func keysButIndex(t *testing.T, st *store.Store, user string) []string {
	t.Helper()
	return slices.DeleteFunc(storetest.Keys(t, st), func(k string) bool { return k == st.IndexKey(user) })
}

func request(s *Service, user string, spec period.Spec) error {
	_, err := s.Request(context.Background(), Request{UserID: user, Spec: spec, Location: time.UTC})
	return err
}

// quotaUsed is the user's counter in Redis (0 when there is none).
func quotaUsed(t *testing.T, st *store.Store, user string) int64 {
	t.Helper()
	n, _ := st.R.Get(context.Background(), ratelimit.New(st).Key(RequestLimit, user)).Int64()
	return n
}

func storedReports(t *testing.T, st *store.Store, s *Service, user string) int64 {
	t.Helper()
	return st.R.ZCard(context.Background(), s.listKey(user)).Val()
}

// Refused and failed requests do not use up the quota: 30 invalid periods, then 30 that
// cannot be queued (QStash down), and a valid request still gets through.
func TestQuotaCountsOnlyAcceptedRequests(t *testing.T) {
	s, pub, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	for i := 0; i < int(RequestLimit.Max); i++ {
		if err := request(s, "u1", period.Spec{Preset: "fortnight"}); problem.CodeOf(err) != "invalid_period" {
			t.Fatalf("invalid period: %v", err)
		}
	}
	pub.fail = errors.New("qstash down")
	for i := 0; i < int(RequestLimit.Max); i++ {
		if err := request(s, "u1", period.Spec{Preset: period.Last7Days}); err == nil {
			t.Fatal("a publish failure was not reported")
		}
	}
	if n := quotaUsed(t, st, "u1"); n != 0 {
		t.Fatalf("quota used by refused and failed requests: %d", n)
	}
	pub.fail = nil
	if err := request(s, "u1", period.Spec{Preset: period.Last7Days}); err != nil {
		t.Fatalf("a valid request after refused ones: %v", err)
	}
	if n, r := quotaUsed(t, st, "u1"), storedReports(t, st, s, "u1"); n != 1 || r != 1 {
		t.Fatalf("quota used %d, reports stored %d; want 1 and 1", n, r)
	}
}

// Parallel valid requests: exactly the quota is accepted, and the counter equals the reports
// stored.
func TestQuotaHoldsUnderParallelRequests(t *testing.T) {
	s, _, st := newService(t, map[string]metrics.Fetcher{"demo": okSection("demo", 1)})
	const n = 45
	errs := make([]error, n)
	storetest.Together(n, func(i int) { errs[i] = request(s, "u1", period.Spec{Preset: period.Last7Days}) })
	ok, limited := 0, 0
	for _, err := range errs {
		switch problem.CodeOf(err) {
		case "":
			ok++
		case "rate_limited":
			limited++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != int(RequestLimit.Max) || limited != n-ok {
		t.Fatalf("%d accepted, %d limited; want %d and %d", ok, limited, RequestLimit.Max, n-int(RequestLimit.Max))
	}
	if used, r := quotaUsed(t, st, "u1"), storedReports(t, st, s, "u1"); used != RequestLimit.Max || r != RequestLimit.Max {
		t.Fatalf("quota counter %d, reports stored %d; want both %d", used, r, RequestLimit.Max)
	}
	if ttl := st.R.PTTL(context.Background(), ratelimit.New(st).Key(RequestLimit, "u1")).Val(); ttl <= 0 || ttl > RequestLimit.Window {
		t.Fatalf("quota counter TTL %v", ttl)
	}
}
