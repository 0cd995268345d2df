// Package seal encrypts secrets before they reach Redis: OAuth access and refresh tokens and
// TOTP secrets. AES-256-GCM with a fresh random 96-bit nonce per seal; the key id travels with
// the ciphertext so keys can rotate; and additional authenticated data binds each ciphertext to
// the record it belongs to (user, provider, field), so a ciphertext copied into another
// user's record fails to open instead of handing over someone else's token.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/trymetriqs/metriqs/lib/config"
)

// Errors a caller can act on. Both mean the value is unusable: the integration must be
// connected again.
var (
	// ErrUnknownKey: the value was sealed with a key no longer in the ring.
	ErrUnknownKey = errors.New("seal: sealed with a key that is no longer configured")
	// ErrCorrupt: the value is malformed, truncated, altered, or bound to another record.
	ErrCorrupt = errors.New("seal: value cannot be opened")
)

const version = "v1"

// Sealer seals with the ring's first key and opens with any of them.
type Sealer struct {
	ring  config.KeyRing
	aeads map[string]cipher.AEAD
}

// New prepares a Sealer for ring.
func New(ring config.KeyRing) (*Sealer, error) {
	if len(ring) == 0 {
		return nil, errors.New("seal: empty key ring")
	}
	s := &Sealer{ring: ring, aeads: make(map[string]cipher.AEAD, len(ring))}
	for _, k := range ring {
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("seal: key %q is not 256 bits", k.ID)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		s.aeads[k.ID] = aead
	}
	return s, nil
}

// AAD names the record a value belongs to, e.g. AAD(userID, "github", "refresh_token").
func AAD(parts ...string) string { return strings.Join(parts, "\x1f") }

// Seal encrypts plaintext for the record named by aad: "v1.<kid>.<base64url(nonce|ct|tag)>".
func (s *Sealer) Seal(plaintext []byte, aad string) (string, error) {
	k := s.ring.Active()
	aead := s.aeads[k.ID]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return version + "." + k.ID + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for the record named by aad.
func (s *Sealer) Open(sealed, aad string) ([]byte, error) {
	kid, aead, data, err := s.parse(sealed)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(data) < ns+aead.Overhead() {
		return nil, ErrCorrupt
	}
	pt, err := aead.Open(nil, data[:ns], data[ns:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", ErrCorrupt, kid)
	}
	return pt, nil
}

// Stale reports whether a value was sealed with a key other than the active one, so a
// re-seal job can bring it under the newest key.
func (s *Sealer) Stale(sealed string) bool {
	parts := strings.SplitN(sealed, ".", 3)
	return len(parts) != 3 || parts[1] != s.ring.Active().ID
}

func (s *Sealer) parse(sealed string) (string, cipher.AEAD, []byte, error) {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 || parts[0] != version {
		return "", nil, nil, ErrCorrupt
	}
	aead, ok := s.aeads[parts[1]]
	if !ok {
		return "", nil, nil, fmt.Errorf("%w (key %q)", ErrUnknownKey, parts[1])
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", nil, nil, ErrCorrupt
	}
	return parts[1], aead, data, nil
}
