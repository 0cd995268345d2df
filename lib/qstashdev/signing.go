package qstashdev

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenLifetime is how long QStash's delivery tokens are valid.
const tokenLifetime = 5 * time.Minute

// sign makes the Upstash-Signature of one delivery attempt: an HS256 JWT with QStash's
// claims. The body claim is the padded base64url SHA-256 of the body, as QStash sends it
// (receivers strip the padding before comparing). Each attempt gets a fresh token and jti.
func sign(key, url string, body []byte, now time.Time) (string, error) {
	sum := sha256.Sum256(body)
	claims := jwt.MapClaims{
		"iss":  "Upstash",
		"sub":  url,
		"iat":  now.Unix(),
		"nbf":  now.Unix(),
		"exp":  now.Add(tokenLifetime).Unix(),
		"jti":  "jwt_" + randomID(),
		"body": base64.URLEncoding.EncodeToString(sum[:]),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		return "", fmt.Errorf("qstashdev: sign delivery: %w", err)
	}
	return tok, nil
}
