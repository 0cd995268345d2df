// Package store owns Metriqs' connection to Redis (Upstash in production) and the rules every
// key follows: one prefix for the whole product, and errors translated into the domain's
// vocabulary so that no handler ever looks at a Redis error.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// ErrNotFound is what a read returns for a key that does not exist.
var ErrNotFound = errors.New("store: not found")

// Store is a Redis client and the key prefix it writes under.
type Store struct {
	R      redis.UniversalClient
	prefix string
}

// Open builds a client for a redis:// or rediss:// URL. It does not connect: the first command
// does, so a function's start-up costs no network.
func Open(rawURL, prefix string) (*Store, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse REDIS_URL: %w", err)
	}
	tune(opt)
	return &Store{R: redis.NewClient(opt), prefix: prefix}, nil
}

// tune fits the client to a serverless function: one instance serves one request at a time,
// so a few connections suffice, and a Redis that does not answer must fail the request within
// a couple of seconds (a 503 the client can retry) rather than hold the function until Vercel
// kills it.
func tune(opt *redis.Options) {
	opt.PoolSize = 4
	opt.MinIdleConns = 0
	opt.MaxRetries = 1
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	opt.PoolTimeout = 3 * time.Second
	opt.ConnMaxIdleTime = 4 * time.Minute
	opt.ContextTimeoutEnabled = true
	// Upstash speaks RESP2 and RESP3; the CLIENT SETINFO handshake adds a round trip on every
	// new connection for no benefit here.
	opt.DisableIdentity = true
	// rediss://: the security page promises TLS 1.2 or higher in transit, whatever go-redis's
	// default becomes. (lib/config refuses plain redis:// and skip_verify in production.)
	if opt.TLSConfig != nil && opt.TLSConfig.MinVersion < tls.VersionTLS12 {
		opt.TLSConfig.MinVersion = tls.VersionTLS12
	}
}

var instance = lazy.New(func() (*Store, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	if cfg.RedisURL == "" {
		return nil, problem.Internal(errors.New("store: REDIS_URL is not set (the local server sets it to its embedded Redis)"))
	}
	s, err := Open(cfg.RedisURL, cfg.RedisPrefix)
	if err != nil {
		return nil, problem.Internal(err)
	}
	return s, nil
})

// Default is the function instance's store, built on first use from the configuration.
func Default() (*Store, error) { return instance.Get() }

// Key joins parts under the product's prefix: Key("user", id) → "mq:user:{id}".
func (s *Store) Key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// Prefix is the prefix every key starts with.
func (s *Store) Prefix() string { return s.prefix }

// Close releases the client's connections.
func (s *Store) Close() error { return s.R.Close() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	return Err(s.R.Ping(ctx).Err())
}

// Err translates a go-redis error: redis.Nil becomes ErrNotFound; a dial, timeout or
// connection failure becomes a 503 unavailable; any other reply error is internal.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return ErrNotFound
	}
	if _, ok := problem.As(err); ok {
		return err
	}
	if Unreachable(err) {
		return problem.Unavailable(fmt.Errorf("redis: %w", err))
	}
	return problem.Internal(fmt.Errorf("redis: %w", err))
}

// Unreachable reports whether err means Redis could not be reached in time.
func Unreachable(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout):
		return true
	case errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	case strings.Contains(err.Error(), "connection refused"), strings.Contains(err.Error(), "EOF"),
		strings.Contains(err.Error(), "i/o timeout"), strings.Contains(err.Error(), "connection reset"),
		strings.Contains(err.Error(), "LOADING"):
		return true
	}
	return false
}

// IndexKey is the set that lists every key belonging to a user, so that account deletion finds
// them all without scanning the keyspace (the invariant it keeps: index.go).
func (s *Store) IndexKey(userID string) string { return s.Key("user", userID, "keys") }

// Own records, in p, that keys belong to userID. Call it in the same transaction (MULTI or
// script) that creates them: a key created in an earlier step would exist outside the index
// until then, and for ever if the step that follows never runs.
func (s *Store) Own(ctx context.Context, p redis.Pipeliner, userID string, keys ...string) {
	members := make([]any, len(keys))
	for i, k := range keys {
		members[i] = k
	}
	p.SAdd(ctx, s.IndexKey(userID), members...)
}
