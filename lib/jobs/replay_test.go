package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// burst delivers token with each message id in msgIDs, all released at once, and returns the
// status codes.
func burst(h func(msgID string) int, msgIDs []string) []int {
	codes := make([]int, len(msgIDs))
	storetest.Together(len(msgIDs), func(i int) { codes[i] = h(msgIDs[i]) })
	return codes
}

func count(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// tokenBinding is the message id Redis holds for a token's jti ("" when none).
func tokenBinding(t *testing.T, st *store.Store, jti string) string {
	t.Helper()
	return st.R.Get(context.Background(), st.Key("jobtoken", jti)).Val()
}

// QStash delivers at least once, possibly twice at the same time: 20 simultaneous deliveries
// of one signed message run the job once and leave it done.
func TestParallelDeliveriesOfOneMessageRunOnce(t *testing.T) {
	rn := newRunner(t)
	var rec recorder
	h := rn.Handler(job, rec.run)
	token := validToken(t)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = "msg_same"
	}
	codes := burst(func(id string) int { return deliver(h, job, id, token, reportBody).Code }, ids)
	if rec.count() != 1 {
		t.Fatalf("run called %d times, want 1 (codes %v)", rec.count(), codes)
	}
	if count(codes, http.StatusOK)+count(codes, http.StatusConflict) != len(codes) {
		t.Fatalf("codes %v, want only 200 and 409", codes)
	}
	if got := ledgerValue(t, rn.Store, job, "msg_same"); got != "done" {
		t.Fatalf("ledger = %q, want done", got)
	}
}

// A captured delivery replayed under fresh Upstash-Message-Id headers (not signed) runs
// nothing: its token is bound to the first message id it came with. 20 at once: one run, one
// message done, the other 19 refused and absent from the ledger.
func TestReplayUnderNewMessageIDsIsRefused(t *testing.T) {
	rn := newRunner(t)
	var rec recorder
	h := rn.Handler(job, rec.run)
	claims := claimsFor(appURL+jobs.Path(job), reportBody)
	token := hs256(t, currentKey, claims)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf("msg_forged_%02d", i)
	}
	codes := burst(func(id string) int { return deliver(h, job, id, token, reportBody).Code }, ids)
	if rec.count() != 1 || count(codes, http.StatusOK) != 1 || count(codes, http.StatusUnauthorized) != 19 {
		t.Fatalf("run called %d times, codes %v; want 1 run, one 200, 19 × 401", rec.count(), codes)
	}
	winner := tokenBinding(t, rn.Store, claims["jti"].(string))
	for _, id := range ids {
		want := ""
		if id == winner {
			want = "done"
		}
		if got := ledgerValue(t, rn.Store, job, id); got != want {
			t.Errorf("ledger of %s = %q, want %q (token bound to %q)", id, got, want, winner)
		}
	}
	ttl := rn.Store.R.PTTL(context.Background(), rn.Store.Key("jobtoken", claims["jti"].(string))).Val()
	if ttl <= 0 || ttl > jobs.MaxTokenLifetime+jobs.MaxTokenLifetime/10 {
		t.Fatalf("token binding TTL = %v, want about the token's lifetime %v", ttl, jobs.MaxTokenLifetime)
	}
	// Afterwards too, and whatever the outcome of the first run.
	if w := deliver(h, job, "msg_forged_later", token, reportBody); w.Code != http.StatusUnauthorized || errorCode(t, w) != "unauthenticated" {
		t.Fatalf("later replay: %d %s", w.Code, w.Body)
	}
	if rec.count() != 1 || ledgerValue(t, rn.Store, job, "msg_forged_later") != "" {
		t.Fatalf("a replay ran: %d runs", rec.count())
	}
}
