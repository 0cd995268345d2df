package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// signDelivery signs body for the job's function as QStash does (the development signing
// key, a fresh jti, five minutes of validity from iat).
func signDelivery(t *testing.T, job string, body []byte, lifetime time.Duration) string {
	t.Helper()
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "Upstash", "sub": cfg.AppURL + "/api/jobs/" + job,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix(),
		"jti": "jwt_" + rand.Text(), "body": base64.URLEncoding.EncodeToString(sum[:]),
	}).SignedString([]byte(cfg.QStash.CurrentSigningKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// deliverAll posts one signed delivery under each message id, all released at once.
func deliverAll(t *testing.T, job, token string, body []byte, msgIDs []string) []*devtest.Response {
	out := make([]*devtest.Response, len(msgIDs))
	clients := make([]*devtest.Client, len(msgIDs))
	for i, id := range msgIDs {
		clients[i] = devtest.NewClient(t)
		clients[i].Header.Set("Upstash-Signature", token)
		clients[i].Header.Set("Upstash-Message-Id", id)
		clients[i].Header.Set("Upstash-Retried", "3") // unsigned: decides nothing
	}
	storetest.Together(len(msgIDs), func(i int) { out[i] = clients[i].Do("POST", "/api/jobs/"+job, body) })
	return out
}

func ledger(t *testing.T, job, msgID string) string {
	t.Helper()
	return devtest.Store.R.Get(context.Background(), devtest.Store.Key("job", job, msgID)).Val()
}

// A captured delivery replayed 20 times at once under fresh Upstash-Message-Id headers runs
// its job once; the same message delivered 20 times at once runs once too. The job is
// generate-report for a report that does not exist, which runs and does nothing.
func TestSignedDeliveryRunsOnce(t *testing.T) {
	t.Parallel()
	body := []byte(`{"report_id":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}`)
	token := signDelivery(t, "generate-report", body, 5*time.Minute)
	run := rand.Text()
	forged := make([]string, 20)
	for i := range forged {
		forged[i] = fmt.Sprintf("msg_%s_%02d", run, i)
	}
	ran := 0
	for i, r := range deliverAll(t, "generate-report", token, body, forged) {
		switch {
		case r.StatusCode == 200:
			ran++
			if ledger(t, "generate-report", forged[i]) != "done" {
				t.Errorf("%s ran but the ledger holds %q", forged[i], ledger(t, "generate-report", forged[i]))
			}
		case r.StatusCode == 401 && r.ErrorCode() == "unauthenticated":
			if got := ledger(t, "generate-report", forged[i]); got != "" {
				t.Errorf("refused %s left %q in the ledger", forged[i], got)
			}
		default:
			t.Errorf("%s: %d %s", forged[i], r.StatusCode, r.Body)
		}
	}
	if ran != 1 {
		t.Fatalf("a token replayed under 20 message ids ran %d times, want 1", ran)
	}

	// One message, 20 simultaneous deliveries (each signed anew, as QStash does).
	same := "msg_" + run + "_same"
	tokens := make([]string, 20)
	fresh := 0
	for i := range tokens {
		tokens[i] = signDelivery(t, "generate-report", body, 5*time.Minute)
	}
	clients := make([]*devtest.Client, len(tokens))
	for i := range tokens {
		clients[i] = devtest.NewClient(t)
		clients[i].Header.Set("Upstash-Signature", tokens[i])
		clients[i].Header.Set("Upstash-Message-Id", same)
	}
	var mu sync.Mutex
	storetest.Together(len(clients), func(i int) {
		r := clients[i].Do("POST", "/api/jobs/generate-report", body)
		var a struct{ OK, Duplicate bool }
		_ = json.Unmarshal(r.Body, &a)
		mu.Lock()
		defer mu.Unlock()
		if r.StatusCode == 200 && a.OK && !a.Duplicate {
			fresh++
		} else if r.StatusCode != 200 && r.StatusCode != 409 {
			t.Errorf("delivery of %s: %d %s", same, r.StatusCode, r.Body)
		}
	})
	if fresh != 1 || ledger(t, "generate-report", same) != "done" {
		t.Fatalf("20 deliveries of one message ran %d times, ledger %q", fresh, ledger(t, "generate-report", same))
	}
}

// A token valid for longer than QStash issues is refused, and nothing runs.
func TestLongLivedDeliveryTokenRefused(t *testing.T) {
	t.Parallel()
	body := []byte(`{"report_id":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}`)
	id := "msg_" + rand.Text()
	r := deliverAll(t, "generate-report", signDelivery(t, "generate-report", body, 24*time.Hour), body, []string{id})[0]
	devtest.Want(t, r, 401, "unauthenticated")
	if got := ledger(t, "generate-report", id); got != "" {
		t.Fatalf("ledger = %q", got)
	}
}

// A report whose job died mid-generation (the local server killed; in production a message
// in QStash's DLQ) does not stay running: past its generation deadline, reading it shows it
// failed with the reason, and Redis holds it failed and out of the in-flight set.
func TestStuckReportFailsAsTimedOut(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	connectDemo(t, c)
	id := requestReport(t, c, "last_7_days")
	awaitReport(t, c, id)
	crashed(t, id, 2*time.Hour)

	var doc struct {
		Status    string `json:"status"`
		ErrorCode string `json:"error_code"`
		Error     string `json:"error"`
	}
	r := c.Do("GET", "/api/reports/"+id, nil)
	devtest.Want(t, r, 200, "")
	r.JSON(&doc)
	if doc.Status != "failed" || doc.ErrorCode != "generation_timed_out" || doc.Error == "" {
		t.Fatalf("stuck report reads %+v", doc)
	}
	ctx := context.Background()
	if got := devtest.Store.R.HGet(ctx, devtest.Store.Key("report", id), "status").Val(); got != "failed" {
		t.Fatalf("status in Redis = %q", got)
	}
	if _, err := devtest.Store.R.ZScore(ctx, devtest.Store.Key("reports", "inflight"), id).Result(); err == nil {
		t.Fatal("a failed report is still in the in-flight set")
	}
}

// crashed rewrites a finished report as a job killed mid-run leaves it: running, created age
// ago, in the in-flight set.
func crashed(t *testing.T, id string, age time.Duration) {
	t.Helper()
	ctx := context.Background()
	k := devtest.Store.Key("report", id)
	var doc map[string]any
	if err := json.Unmarshal([]byte(devtest.Store.R.HGet(ctx, k, "doc").Val()), &doc); err != nil {
		t.Fatal(err)
	}
	created := time.Now().Add(-age).UTC().Truncate(time.Second)
	doc["status"], doc["created_at"], doc["completed_at"], doc["sections"] = "running", created, nil, []any{}
	b, _ := json.Marshal(doc)
	devtest.Store.R.HSet(ctx, k, "status", "running", "doc", b)
	devtest.Store.R.ZAdd(ctx, devtest.Store.Key("reports", "inflight"), redisZ(created, id))
}
