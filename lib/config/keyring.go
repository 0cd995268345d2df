package config

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of every key in a ring: 256 bits, for AES-256-GCM and HMAC-SHA256.
const KeySize = 32

// Key is one entry of a key ring.
type Key struct {
	ID     string
	Secret []byte
}

// KeyRing is an ordered set of keys: the first one signs or seals, every one verifies or
// opens, so a key can be rotated in without invalidating what the previous one produced.
type KeyRing []Key

var keyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ParseKeyRing parses "id:base64key,id:base64key". Each key must decode (standard or URL
// base64, padded or not) to exactly 32 bytes; ids must be unique.
func ParseKeyRing(s string) (KeyRing, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("is required (id:base64key[,id:base64key...])")
	}
	var ring KeyRing
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok || !keyID.MatchString(id) {
			return nil, fmt.Errorf("entry %d must look like id:base64key with id of [A-Za-z0-9_-]", i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q is not base64", id)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes; want %d", id, len(secret), KeySize)
		}
		ring = append(ring, Key{ID: id, Secret: secret})
	}
	return ring, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// Active is the key that signs or seals new values.
func (r KeyRing) Active() Key { return r[0] }

// Lookup finds the key with the given id.
func (r KeyRing) Lookup(id string) (Key, bool) {
	for _, k := range r {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// holdsSecretOf reports whether any key of r has the secret of a key in the given rings,
// whatever its id: a public development secret under a new name is still public.
func (r KeyRing) holdsSecretOf(rings ...string) bool {
	for _, ring := range rings {
		others, err := ParseKeyRing(ring)
		if err != nil {
			continue
		}
		for _, k := range r {
			for _, o := range others {
				if subtle.ConstantTimeCompare(k.Secret, o.Secret) == 1 {
					return true
				}
			}
		}
	}
	return false
}
