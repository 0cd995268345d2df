package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/config"
)

func sealer(t *testing.T, spec string) *Sealer {
	t.Helper()
	ring, err := config.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	k1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	k2 = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
)

func TestRoundTrip(t *testing.T) {
	s := sealer(t, k1)
	aad := AAD("user1", "github", "access_token")
	v, err := s.Seal([]byte("gho_secret_token"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "gho_secret") || !strings.HasPrefix(v, "v1.k1.") {
		t.Fatalf("sealed = %q", v)
	}
	pt, err := s.Open(v, aad)
	if err != nil || string(pt) != "gho_secret_token" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	// GCM with a random nonce: the same plaintext never seals to the same value.
	w, _ := s.Seal([]byte("gho_secret_token"), aad)
	if w == v {
		t.Fatal("two seals of one value are identical (nonce reuse)")
	}
}

func TestOpenRefuses(t *testing.T) {
	s := sealer(t, k1)
	aad := AAD("user1", "github", "access_token")
	v, _ := s.Seal([]byte("gho_secret_token"), aad)
	raw := []byte(v)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-5] ^= 1
	cases := map[string]struct {
		value, aad string
		want       error
	}{
		"copied to another user":     {v, AAD("user2", "github", "access_token"), ErrCorrupt},
		"copied to another provider": {v, AAD("user1", "stripe", "access_token"), ErrCorrupt},
		"copied to another field":    {v, AAD("user1", "github", "refresh_token"), ErrCorrupt},
		"truncated":                  {v[:len(v)-10], aad, ErrCorrupt},
		"very truncated":             {"v1.k1.AAAA", aad, ErrCorrupt},
		"bit flipped":                {string(flipped), aad, ErrCorrupt},
		"unknown version":            {"v9" + v[2:], aad, ErrCorrupt},
		"plaintext":                  {"gho_secret_token", aad, ErrCorrupt},
		"removed key":                {strings.Replace(v, ".k1.", ".k0.", 1), aad, ErrUnknownKey},
	}
	for name, c := range cases {
		if _, err := s.Open(c.value, c.aad); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func TestRotation(t *testing.T) {
	old := sealer(t, k1)
	aad := AAD("u", "demo", "refresh_token")
	v, _ := old.Seal([]byte("refresh"), aad)
	rotated := sealer(t, k2+","+k1)
	if pt, err := rotated.Open(v, aad); err != nil || !bytes.Equal(pt, []byte("refresh")) {
		t.Fatalf("old value after rotation: %q, %v", pt, err)
	}
	if !rotated.Stale(v) {
		t.Fatal("value of the old key not reported stale")
	}
	nv, _ := rotated.Seal([]byte("refresh"), aad)
	if rotated.Stale(nv) || !strings.HasPrefix(nv, "v1.k2.") {
		t.Fatalf("new value %q sealed with the wrong key", nv)
	}
	if _, err := sealer(t, k2).Open(v, aad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("value of a removed key: %v", err)
	}
}

// The format is AES-256-GCM with the whole 32-byte key, checked both ways against a cipher
// built here from the standard library alone: a sealer that used a shorter key, another mode
// or no AAD could neither open this value nor produce one that opens here.
func TestIsAES256GCM(t *testing.T) {
	ring, _ := config.ParseKeyRing(k1)
	block, err := aes.NewCipher(ring[0].Secret)
	if err != nil || len(ring[0].Secret) != 32 {
		t.Fatalf("test key: %d bytes, %v", len(ring[0].Secret), err)
	}
	gcm, _ := cipher.NewGCM(block)
	s := sealer(t, k1)
	aad := AAD("u1", "github", "access_token")

	nonce := bytes.Repeat([]byte{7}, gcm.NonceSize())
	mine := "v1.k1." + base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte("token-a"), []byte(aad)))
	if got, err := s.Open(mine, aad); err != nil || string(got) != "token-a" {
		t.Fatalf("Open of a standard AES-256-GCM value = %q, %v", got, err)
	}

	sealed, err := s.Seal([]byte("token-b"), aad)
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1.k1."))
	if err != nil {
		t.Fatal(err)
	}
	ns := gcm.NonceSize()
	if got, err := gcm.Open(nil, data[:ns], data[ns:], []byte(aad)); err != nil || string(got) != "token-b" {
		t.Fatalf("standard AES-256-GCM open of Seal's output = %q, %v", got, err)
	}
}
