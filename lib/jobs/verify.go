package jobs

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// MaxBody is the largest delivery a job accepts: QStash's own message limit is 1 MB, so
// anything bigger did not come from QStash.
const MaxBody = 1 << 20

// leeway absorbs clock skew between QStash and the function when checking exp and nbf. It is
// small because QStash tokens only live five minutes.
const leeway = 5 * time.Second

// Verifier checks that a request is a QStash delivery meant for this very function.
//
// We do not use qstash-go's Receiver: it does not require exp (a captured token would then
// stay valid forever), accepts any HMAC algorithm, skips the subject check when no URL is
// given, and verifies with an empty key — which accepts a token anyone can sign.
type Verifier struct {
	// AppURL is the absolute base URL from configuration; the expected subject of a token is
	// AppURL + the function's path, never anything derived from the request.
	AppURL string
	// CurrentSigningKey and NextSigningKey are tried in turn, so QStash can roll its keys
	// without a failed delivery. Both must be set.
	CurrentSigningKey string
	NextSigningKey    string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

type signatureClaims struct {
	Body string `json:"body"`
	jwt.RegisteredClaims
}

// Verify reads the request body (at most MaxBody) and checks its Upstash-Signature against
// the URL AppURL+path. It returns the body when the signature holds. Errors are problems:
// 401 unauthenticated for a missing or invalid signature, 413 for an oversized body, and a
// 500 when the verifier is not configured — it then refuses everything rather than accept
// tokens signed with an empty key.
func (v *Verifier) Verify(r *http.Request, path string) ([]byte, error) {
	if v == nil || v.CurrentSigningKey == "" || v.NextSigningKey == "" {
		return nil, problem.Internal(errors.New("jobs: QSTASH_CURRENT_SIGNING_KEY or QSTASH_NEXT_SIGNING_KEY is empty; refusing every delivery (an empty HMAC key would accept forged tokens)"))
	}
	if v.AppURL == "" {
		return nil, problem.Internal(errors.New("jobs: APP_URL is empty; cannot tell which URL a delivery must be signed for"))
	}
	token := r.Header.Get(HeaderSignature)
	if token == "" {
		return nil, unauthenticated(errors.New("no Upstash-Signature header"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, problem.Invalid("", "The request body could not be read.")
	}
	if len(body) > MaxBody {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "too_large", "The request body is larger than 1 MiB.")
	}
	url := strings.TrimRight(v.AppURL, "/") + path
	errCurrent := v.check(token, v.CurrentSigningKey, url, body)
	if errCurrent == nil {
		return body, nil
	}
	errNext := v.check(token, v.NextSigningKey, url, body)
	if errNext == nil {
		return body, nil
	}
	return nil, unauthenticated(fmt.Errorf("current key: %w; next key: %w", errCurrent, errNext))
}

// check verifies token with one key: HS256 only (no "none", no algorithm the token picks),
// iss Upstash, sub the expected URL, exp required, nbf honoured, and the body hash.
func (v *Verifier) check(token, key, url string, body []byte) error {
	now := v.Now
	if now == nil {
		now = time.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer("Upstash"),
		jwt.WithSubject(url),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
	var c signatureClaims
	if _, err := parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return []byte(key), nil
	}); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	// QStash sends the hash padded; other signers leave the padding off. Both mean the same.
	got := strings.TrimRight(c.Body, "=")
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("body hash does not match the body")
	}
	return nil
}

func unauthenticated(cause error) error {
	p := problem.Unauthenticated("This endpoint only accepts deliveries signed by QStash for its own URL.")
	p.Cause = cause
	return p
}
