package jobs

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
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

// MaxTokenLifetime is the longest a delivery token may be valid (exp − iat, or exp − nbf when
// earlier): QStash's tokens expire five minutes after they are issued
// (upstash.com/docs/qstash/features/security, "Claims"), as lib/qstashdev's do. A token valid
// for longer did not come from QStash, and its jti could not be remembered for its whole life.
const MaxTokenLifetime = 5 * time.Minute

// tokenID is what a jti may be (QStash sends jwt_ + base58): printable ASCII, no spaces, so it
// can be part of a Redis key.
var tokenID = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)

// Signed is a verified delivery: its body and the signed token's identity.
type Signed struct {
	Body []byte
	// TokenID is the token's jti. QStash signs each delivery attempt anew, so a jti names one
	// attempt; seen again under another message id, it is a replay.
	TokenID string
}

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
// the URL AppURL+path. It returns the body and the token's jti when the signature holds. Errors are problems:
// 401 unauthenticated for a missing or invalid signature, 413 for an oversized body, and a
// 500 when the verifier is not configured — it then refuses everything rather than accept
// tokens signed with an empty key.
func (v *Verifier) Verify(r *http.Request, path string) (*Signed, error) {
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
	jti, errCurrent := v.check(token, v.CurrentSigningKey, url, body)
	if errCurrent == nil {
		return &Signed{Body: body, TokenID: jti}, nil
	}
	jti, errNext := v.check(token, v.NextSigningKey, url, body)
	if errNext == nil {
		return &Signed{Body: body, TokenID: jti}, nil
	}
	return nil, unauthenticated(fmt.Errorf("current key: %w; next key: %w", errCurrent, errNext))
}

// check verifies token with one key: HS256 only (no "none", no algorithm the token picks),
// iss Upstash, sub the expected URL, exp and iat required, a lifetime no longer than QStash
// issues, nbf honoured, a jti, and the body hash. It returns the jti.
func (v *Verifier) check(token, key, url string, body []byte) (string, error) {
	now := v.Now
	if now == nil {
		now = time.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer("Upstash"),
		jwt.WithSubject(url),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
	var c signatureClaims
	if _, err := parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return []byte(key), nil
	}); err != nil {
		return "", err
	}
	if err := checkIdentity(&c); err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	// QStash sends the hash padded; other signers leave the padding off. Both mean the same.
	got := strings.TrimRight(c.Body, "=")
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "", errors.New("body hash does not match the body")
	}
	return c.ID, nil
}

// checkIdentity refuses a token the replay defence could not hold to: without a jti, without
// iat, or valid for longer than QStash's tokens are (a jti is remembered only that long).
func checkIdentity(c *signatureClaims) error {
	if !tokenID.MatchString(c.ID) {
		return errors.New("token has no usable jti")
	}
	if c.IssuedAt == nil {
		return errors.New("token has no iat")
	}
	start := c.IssuedAt.Time
	if c.NotBefore != nil && c.NotBefore.Before(start) {
		start = c.NotBefore.Time
	}
	if life := c.ExpiresAt.Sub(start); life > MaxTokenLifetime {
		return fmt.Errorf("token is valid for %s; QStash issues tokens valid for %s", life, MaxTokenLifetime)
	}
	return nil
}

func unauthenticated(cause error) error {
	p := problem.Unauthenticated("This endpoint only accepts deliveries signed by QStash for its own URL.")
	p.Cause = cause
	return p
}
