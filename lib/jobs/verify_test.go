package jobs_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestHandlerVerifiesSignature(t *testing.T) {
	const job = "generate-report"
	body := []byte(`{"report_id":"r1"}`)
	url := appURL + "/api/jobs/" + job
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := claimsFor(url, body)
		change(c)
		return c
	}

	tests := []struct {
		name    string
		keys    *[2]string // the verifier's keys; nil: currentKey, nextKey
		token   func(t *testing.T) string
		body    []byte // delivered body; nil: body
		status  int
		code    string
		wantRun bool
	}{
		{name: "valid delivery", token: func(t *testing.T) string { return hs256(t, currentKey, claimsFor(url, body)) },
			status: http.StatusOK, wantRun: true},
		{name: "next key during rotation", token: func(t *testing.T) string { return hs256(t, nextKey, claimsFor(url, body)) },
			status: http.StatusOK, wantRun: true},
		{name: "unpadded body hash", token: func(t *testing.T) string {
			sum := sha256.Sum256(body)
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["body"] = base64.RawURLEncoding.EncodeToString(sum[:]) }))
		}, status: http.StatusOK, wantRun: true},
		{name: "expired a moment ago, within leeway", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2 * time.Second).Unix() }))
		}, status: http.StatusOK, wantRun: true},

		{name: "no signature", token: func(*testing.T) string { return "" },
			status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "forged: not a JWT", token: func(*testing.T) string { return "forged.signature.value" },
			status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "forged: signed with another key", token: func(t *testing.T) string { return hs256(t, "attacker-key", claimsFor(url, body)) },
			status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "expired", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) {
				c["iat"], c["nbf"], c["exp"] = testNow.Add(-10*time.Minute).Unix(), testNow.Add(-10*time.Minute).Unix(), testNow.Add(-5*time.Minute).Unix()
			}))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "no exp", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { delete(c, "exp") }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "valid for longer than QStash issues", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(time.Hour).Unix() }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "far-future exp with an early nbf", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(-time.Hour).Unix() }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "no iat", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { delete(c, "iat") }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "iat in the future", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["iat"] = testNow.Add(time.Minute).Unix() }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "no jti", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { delete(c, "jti") }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "a jti that cannot be a key", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["jti"] = "jwt with spaces" }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "nbf in the future", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Minute).Unix() }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "not issued by Upstash", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["iss"] = "Someone" }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "addressed to another job", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["sub"] = appURL + "/api/jobs/purge-account" }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "addressed to another host", token: func(t *testing.T) string {
			return hs256(t, currentKey, with(func(c jwt.MapClaims) { c["sub"] = "https://evil.example/api/jobs/" + job }))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "body tampered", token: func(t *testing.T) string { return hs256(t, currentKey, claimsFor(url, body)) },
			body: []byte(`{"report_id":"someone-elses"}`), status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "alg none", token: func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor(url, body))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "HS512 with the right key", token: func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodHS512, []byte(currentKey), claimsFor(url, body))
		}, status: http.StatusUnauthorized, code: "unauthenticated"},

		// An empty HMAC key verifies tokens anyone can make: refuse to verify at all.
		{name: "empty keys refuse a token signed with the empty key", keys: &[2]string{"", ""},
			token:  func(t *testing.T) string { return hs256(t, "", claimsFor(url, body)) },
			status: http.StatusInternalServerError, code: "internal"},
		{name: "one empty key refuses even a valid token", keys: &[2]string{currentKey, ""},
			token:  func(t *testing.T) string { return hs256(t, currentKey, claimsFor(url, body)) },
			status: http.StatusInternalServerError, code: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn := newRunner(t)
			if tt.keys != nil {
				rn.Verifier.CurrentSigningKey, rn.Verifier.NextSigningKey = tt.keys[0], tt.keys[1]
			}
			var rec recorder
			sent := body
			if tt.body != nil {
				sent = tt.body
			}
			w := deliver(rn.Handler(job, rec.run), job, "msg_1", tt.token(t), sent)

			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if tt.code != "" && errorCode(t, w) != tt.code {
				t.Errorf("code = %q, want %q", errorCode(t, w), tt.code)
			}
			if ran := rec.count() == 1; ran != tt.wantRun {
				t.Errorf("run called %d times; want run: %v", rec.count(), tt.wantRun)
			}
			wantLedger := ""
			if tt.wantRun {
				wantLedger = "done"
			}
			if got := ledgerValue(t, rn.Store, job, "msg_1"); got != wantLedger {
				t.Errorf("Redis holds %q, want %q", got, wantLedger)
			}
		})
	}
}
