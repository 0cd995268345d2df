package jobs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

const (
	appURL     = "https://app.metriqs.test"
	currentKey = "sig_current_test_key"
	nextKey    = "sig_next_test_key"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// claimsFor are the claims QStash puts in a delivery token for url and body, at testNow, with
// a fresh jti, as QStash signs every attempt anew.
func claimsFor(url string, body []byte) jwt.MapClaims {
	sum := sha256.Sum256(body)
	return jwt.MapClaims{
		"iss":  "Upstash",
		"sub":  url,
		"iat":  testNow.Unix(),
		"nbf":  testNow.Unix(),
		"exp":  testNow.Add(5 * time.Minute).Unix(),
		"jti":  "jwt_" + rand.Text(),
		"body": base64.URLEncoding.EncodeToString(sum[:]), // padded, as QStash sends it
	}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func hs256(t *testing.T, key string, c jwt.MapClaims) string {
	return signWith(t, jwt.SigningMethodHS256, []byte(key), c)
}

// recorder is a RunFunc that counts its calls and fails as told.
type recorder struct {
	mu    sync.Mutex
	calls int
	bodys [][]byte
	fail  func(call int, body []byte) error // nil: succeed
}

func (rec *recorder) run(_ context.Context, body []byte) error {
	rec.mu.Lock()
	rec.calls++
	n := rec.calls
	rec.bodys = append(rec.bodys, body)
	fail := rec.fail
	rec.mu.Unlock()
	if fail != nil {
		return fail(n, body)
	}
	return nil
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.calls
}

func newRunner(t *testing.T) *jobs.Runner {
	t.Helper()
	return &jobs.Runner{
		Verifier: &jobs.Verifier{AppURL: appURL, CurrentSigningKey: currentKey, NextSigningKey: nextKey, Now: func() time.Time { return testNow }},
		Store:    storetest.New(t),
	}
}

// deliver sends one request to the job's handler, as web.Serve runs it in a function.
func deliver(h web.HandlerFunc, job, msgID, token string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, appURL+jobs.Path(job), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set(jobs.HeaderSignature, token)
	}
	if msgID != "" {
		r.Header.Set(jobs.HeaderMessageID, msgID)
	}
	w := httptest.NewRecorder()
	web.Serve(w, r, web.Methods{http.MethodPost: h})
	return w
}

// errorCode is the code of an API.md error envelope, or "" for any other body.
func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("body is not JSON: %q", w.Body.String())
	}
	return env.Error.Code
}

// ledgerValue is what Redis holds for a message ("" when nothing).
func ledgerValue(t *testing.T, st *store.Store, job, msgID string) string {
	t.Helper()
	v, err := st.R.Get(context.Background(), st.Key("job", job, msgID)).Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}
