package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/web"
)

const job = "generate-report"

var reportBody = []byte(`{"report_id":"r1"}`)

func validToken(t *testing.T) string {
	return hs256(t, currentKey, claimsFor(appURL+jobs.Path(job), reportBody))
}

func TestHandlerAnswers(t *testing.T) {
	tests := []struct {
		name       string
		fail       func(call int, body []byte) error
		status     int
		code       string
		ledger     string
		nonRetry   bool
		okResponse bool
	}{
		{name: "success", status: http.StatusOK, ledger: "done", okResponse: true},
		{name: "transient failure", fail: func(int, []byte) error { return errors.New("provider timed out") },
			status: http.StatusInternalServerError, code: "internal", ledger: ""},
		{name: "failure from the store", fail: func(int, []byte) error { return problem.Unavailable(errors.New("redis down")) },
			status: http.StatusInternalServerError, code: "internal", ledger: ""},
		{name: "permanent failure", fail: func(int, []byte) error { return jobs.Permanent(errors.New("report was deleted")) },
			status: jobs.StatusNonRetryable, code: "permanent_failure", ledger: "done", nonRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn := newRunner(t)
			rec := recorder{fail: tt.fail}
			w := deliver(rn.Handler(job, rec.run), job, "msg_1", validToken(t), reportBody)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if tt.code != "" && errorCode(t, w) != tt.code {
				t.Errorf("code = %q, want %q", errorCode(t, w), tt.code)
			}
			if got := w.Header().Get(jobs.HeaderNonRetryable) == "true"; got != tt.nonRetry {
				t.Errorf("Upstash-NonRetryable-Error present = %v, want %v", got, tt.nonRetry)
			}
			if tt.okResponse && w.Body.String() != "{\"ok\":true}\n" {
				t.Errorf("body = %q", w.Body)
			}
			if got := ledgerValue(t, rn.Store, job, "msg_1"); got != tt.ledger {
				t.Errorf("Redis holds %q, want %q", got, tt.ledger)
			}
			if rec.count() != 1 || string(rec.bodys[0]) != string(reportBody) {
				t.Errorf("run called %d times with %q", rec.count(), rec.bodys)
			}
		})
	}
}

func TestReplayedMessageIDIsIgnored(t *testing.T) {
	rn := newRunner(t)
	var rec recorder
	h := rn.Handler(job, rec.run)
	for i := range 3 {
		// Each redelivery carries a fresh token, as QStash signs every attempt anew.
		w := deliver(h, job, "msg_replayed", validToken(t), reportBody)
		if w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d (%s)", i, w.Code, w.Body)
		}
		var got struct{ OK, Duplicate bool }
		_ = json.Unmarshal(w.Body.Bytes(), &got)
		if !got.OK || got.Duplicate != (i > 0) {
			t.Fatalf("delivery %d: body %s", i, w.Body)
		}
	}
	if rec.count() != 1 {
		t.Fatalf("run called %d times, want 1", rec.count())
	}
	ttl := rn.Store.R.TTL(context.Background(), rn.Store.Key("job", job, "msg_replayed")).Val()
	if ttl < jobs.DefaultDoneTTL-time.Minute || ttl > jobs.DefaultDoneTTL {
		t.Fatalf("done TTL = %v, want about %v", ttl, jobs.DefaultDoneTTL)
	}
	// Another message of the same job, or the same id for another job, still runs.
	deliver(h, job, "msg_other", validToken(t), reportBody)
	if rec.count() != 2 {
		t.Fatalf("a new message id did not run")
	}
}

func TestFailedRunIsRetriedAndRunsAgain(t *testing.T) {
	rn := newRunner(t)
	rec := recorder{fail: func(call int, _ []byte) error {
		if call == 1 {
			return errors.New("provider timed out")
		}
		return nil
	}}
	h := rn.Handler(job, rec.run)
	if w := deliver(h, job, "msg_1", validToken(t), reportBody); w.Code != http.StatusInternalServerError {
		t.Fatalf("first attempt: status %d", w.Code)
	}
	if got := ledgerValue(t, rn.Store, job, "msg_1"); got != "" {
		t.Fatalf("after a failure Redis holds %q; the retry would be blocked", got)
	}
	if w := deliver(h, job, "msg_1", validToken(t), reportBody); w.Code != http.StatusOK {
		t.Fatalf("retry: status %d (%s)", w.Code, w.Body)
	}
	if rec.count() != 2 || ledgerValue(t, rn.Store, job, "msg_1") != "done" {
		t.Fatalf("run called %d times, ledger %q", rec.count(), ledgerValue(t, rn.Store, job, "msg_1"))
	}
}

func TestPermanentFailureIsNotRunAgain(t *testing.T) {
	rn := newRunner(t)
	rec := recorder{fail: func(int, []byte) error {
		return jobs.Permanent(fmt.Errorf("report %s: %w", "r1", errors.New("deleted")))
	}}
	h := rn.Handler(job, rec.run)
	if w := deliver(h, job, "msg_1", validToken(t), reportBody); w.Code != jobs.StatusNonRetryable {
		t.Fatalf("status %d", w.Code)
	}
	if w := deliver(h, job, "msg_1", validToken(t), reportBody); w.Code != http.StatusOK {
		t.Fatalf("redelivery: status %d", w.Code)
	}
	if rec.count() != 1 {
		t.Fatalf("run called %d times, want 1", rec.count())
	}
}

func TestConcurrentDuplicateGetsRetryableAnswer(t *testing.T) {
	rn := newRunner(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var rec recorder
	h := rn.Handler(job, func(ctx context.Context, body []byte) error {
		close(entered)
		<-release
		return rec.run(ctx, body)
	})
	first, token := make(chan int), validToken(t)
	go func() { first <- deliver(h, job, "msg_1", token, reportBody).Code }()
	<-entered

	w := deliver(h, job, "msg_1", validToken(t), reportBody)
	if w.Code != http.StatusConflict || errorCode(t, w) != "job_running" {
		t.Fatalf("duplicate while running: %d %s", w.Code, w.Body)
	}
	if secs, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || secs < 1 || secs > int(jobs.DefaultRunningTTL/time.Second) {
		t.Fatalf("Retry-After = %q", w.Header().Get("Retry-After"))
	}
	close(release)
	if code := <-first; code != http.StatusOK {
		t.Fatalf("first delivery: %d", code)
	}
	if rec.count() != 1 {
		t.Fatalf("run called %d times, want 1", rec.count())
	}
}

func TestPanicReleasesTheClaim(t *testing.T) {
	rn := newRunner(t)
	h := rn.Handler(job, func(context.Context, []byte) error { panic("bug") })
	w := deliver(h, job, "msg_1", validToken(t), reportBody)
	if w.Code != http.StatusInternalServerError || errorCode(t, w) != "internal" {
		t.Fatalf("status %d (%s)", w.Code, w.Body)
	}
	if got := ledgerValue(t, rn.Store, job, "msg_1"); got != "" {
		t.Fatalf("Redis holds %q after a panic; retries would wait for the claim to lapse", got)
	}
}

func TestDeliveryWithoutMessageID(t *testing.T) {
	rn := newRunner(t)
	var rec recorder
	w := deliver(rn.Handler(job, rec.run), job, "", validToken(t), reportBody)
	if w.Code != http.StatusBadRequest || errorCode(t, w) != "invalid_request" || rec.count() != 0 {
		t.Fatalf("status %d (%s), run called %d times", w.Code, w.Body, rec.count())
	}
}

func TestInvalidJobName(t *testing.T) {
	rn := newRunner(t)
	var rec recorder
	w := deliver(rn.Handler("../admin", rec.run), "x", "msg_1", validToken(t), reportBody)
	if w.Code != http.StatusInternalServerError || rec.count() != 0 {
		t.Fatalf("status %d, run called %d times", w.Code, rec.count())
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("gone")
	err := fmt.Errorf("wrapped: %w", jobs.Permanent(base))
	if !jobs.IsPermanent(err) || !errors.Is(err, base) {
		t.Fatal("Permanent does not survive wrapping or hides its cause")
	}
	if jobs.IsPermanent(base) || jobs.Permanent(nil) != nil {
		t.Fatal("IsPermanent(plain error) or Permanent(nil)")
	}
}

// A run that outlasts the bookkeeping timeout still records its outcome: the timeout starts
// when the run returns, not when the delivery arrives. Before, a job slower than 5 s left its
// claim "running" for the claim's whole lifetime, and the retry of a slow failure got 409.
func TestSlowRunStillRecordsItsOutcome(t *testing.T) {
	rn := newRunner(t)
	rn.BookkeepingTimeout = 20 * time.Millisecond
	slow := func(err error) jobs.RunFunc {
		return func(context.Context, []byte) error {
			time.Sleep(5 * rn.BookkeepingTimeout) // longer than the bookkeeping timeout
			return err
		}
	}
	if w := deliver(rn.Handler(job, slow(nil)), job, "msg_slow_ok", validToken(t), reportBody); w.Code != http.StatusOK {
		t.Fatalf("slow success: %d %s", w.Code, w.Body)
	}
	if got := ledgerValue(t, rn.Store, job, "msg_slow_ok"); got != "done" {
		t.Fatalf("after a slow success Redis holds %q, want done", got)
	}

	var rec recorder
	failOnce := func(ctx context.Context, body []byte) error {
		_ = rec.run(ctx, body)
		if rec.count() == 1 {
			return slow(errors.New("provider timed out"))(ctx, body)
		}
		return nil
	}
	if w := deliver(rn.Handler(job, failOnce), job, "msg_slow_fail", validToken(t), reportBody); w.Code != http.StatusInternalServerError {
		t.Fatalf("slow failure: %d %s", w.Code, w.Body)
	}
	if got := ledgerValue(t, rn.Store, job, "msg_slow_fail"); got != "" {
		t.Fatalf("after a slow failure Redis holds %q; the retry would get 409", got)
	}
	if w := deliver(rn.Handler(job, failOnce), job, "msg_slow_fail", validToken(t), reportBody); w.Code != http.StatusOK {
		t.Fatalf("retry after a slow failure: %d %s", w.Code, w.Body)
	}
	if rec.count() != 2 || ledgerValue(t, rn.Store, job, "msg_slow_fail") != "done" {
		t.Fatalf("run %d times, ledger %q", rec.count(), ledgerValue(t, rn.Store, job, "msg_slow_fail"))
	}
}

// A claim lives as long as Vercel lets a job function run (vercel.json maxDuration, 60 s), so
// a delivery killed mid-run blocks QStash's retry for at most that long.
func TestClaimLivesAsLongAsTheFunction(t *testing.T) {
	if jobs.DefaultRunningTTL != web.JobDeadline+time.Second {
		t.Fatalf("DefaultRunningTTL = %v, want the jobs' maxDuration %v", jobs.DefaultRunningTTL, web.JobDeadline+time.Second)
	}
	rn := newRunner(t)
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		deliver(rn.Handler(job, func(context.Context, []byte) error { close(entered); <-release; return nil }), job, "msg_ttl", validToken(t), reportBody)
	}()
	<-entered
	ttl := rn.Store.R.PTTL(context.Background(), rn.Store.Key("job", job, "msg_ttl")).Val()
	close(release)
	<-done
	if ttl <= 0 || ttl > jobs.DefaultRunningTTL {
		t.Fatalf("claim TTL = %v, want at most %v", ttl, jobs.DefaultRunningTTL)
	}
}
