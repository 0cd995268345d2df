package store_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func TestKeyUsesPrefix(t *testing.T) {
	s := storetest.New(t)
	k := s.Key("user", "u1")
	if k != s.Prefix()+"user:u1" {
		t.Fatalf("Key = %q", k)
	}
	ctx := context.Background()
	if err := s.R.Set(ctx, k, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if keys := storetest.Keys(t, s); len(keys) != 1 || keys[0] != k {
		t.Fatalf("keys under prefix = %v", keys)
	}
}

func TestErrTranslation(t *testing.T) {
	s := storetest.New(t)
	_, err := s.R.Get(context.Background(), s.Key("missing")).Result()
	if !errors.Is(store.Err(err), store.ErrNotFound) {
		t.Errorf("redis.Nil → %v, want ErrNotFound", store.Err(err))
	}
	if store.Err(nil) != nil {
		t.Error("Err(nil) != nil")
	}
	err = s.R.Do(context.Background(), "NOSUCHCOMMAND").Err()
	if p, ok := problem.As(store.Err(err)); !ok || p.Status != http.StatusInternalServerError {
		t.Errorf("reply error → %v, want internal", store.Err(err))
	}
}

// Redis going away must turn into 503 unavailable, and the same client must serve again as
// soon as Redis is back — a function instance outlives a Redis blip.
func TestUnavailableThenRecovers(t *testing.T) {
	mr := miniredis.RunT(t)
	s, err := store.Open("redis://"+mr.Addr(), "mq:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	mr.Close()
	err = s.Ping(ctx)
	if p, ok := problem.As(err); !ok || p.Code != "unavailable" || p.Status != http.StatusServiceUnavailable {
		t.Fatalf("ping with Redis down = %v, want 503 unavailable", err)
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"http://localhost", "not a url", ""} {
		if _, err := store.Open(u, "mq:"); err == nil {
			t.Errorf("Open(%q) accepted", u)
		}
	}
}

func TestOpenTLS(t *testing.T) {
	s, err := store.Open("rediss://default:secret@eu1-example.upstash.io:6379", "mq:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opt := s.R.(*redis.Client).Options()
	if opt.TLSConfig == nil || opt.Password != "secret" || opt.PoolSize != 4 {
		t.Fatalf("options = TLS %v, pool %d", opt.TLSConfig, opt.PoolSize)
	}
}

// rediss:// dials with TLS 1.2 or higher and checks the certificate (security page: "TLS 1.2
// or higher"); nothing is dialled here, the client's options are the promise.
func TestOpenRedissUsesTLS12(t *testing.T) {
	s, err := store.Open("rediss://default:pw@example.upstash.io:6379", "mq:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, ok := s.R.(*redis.Client)
	if !ok {
		t.Fatalf("client is %T", s.R)
	}
	tc := c.Options().TLSConfig
	if tc == nil || tc.MinVersion < tls.VersionTLS12 || tc.InsecureSkipVerify || tc.ServerName != "example.upstash.io" {
		t.Fatalf("TLS config = %+v", tc)
	}
}
