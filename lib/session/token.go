package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trymetriqs/metriqs/lib/config"
)

// Audiences keep tokens of one purpose from being accepted for another: a pending-MFA token
// is signed with the same key ring as a session token and must never open a session.
const (
	AudienceSession = "metriqs-session"
	AudienceMFA     = "metriqs-mfa"
	issuer          = "metriqs"
)

// Claims are what a Metriqs token carries: the user (sub) and the server-side record (sid).
type Claims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// Sign issues an HS256 token for userID/recordID under the ring's active key, with its id in
// the header's kid so the key can be rotated later.
func Sign(ring config.KeyRing, audience, userID, recordID string, now time.Time, ttl time.Duration) (string, error) {
	key := ring.Active()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{
		SessionID: recordID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	})
	tok.Header["kid"] = key.ID
	s, err := tok.SignedString(key.Secret)
	if err != nil {
		return "", fmt.Errorf("session: sign: %w", err)
	}
	return s, nil
}

// ErrInvalidToken is any token we did not issue, or no longer accept.
var ErrInvalidToken = errors.New("session: invalid token")

// Parse verifies a token: HS256 only (so neither "none" nor an algorithm swap is accepted),
// signed by a key still in the ring (a removed key ends its sessions), with our issuer, the
// expected audience, and exp and iat present and valid.
func Parse(ring config.KeyRing, audience, token string, now time.Time) (*Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c Claims
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := ring.Lookup(kid)
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return key.Secret, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if c.IssuedAt == nil || c.Subject == "" || c.SessionID == "" {
		return nil, fmt.Errorf("%w: missing iat, sub or sid", ErrInvalidToken)
	}
	return &c, nil
}
