// Package storetest gives each test a Store of its own: on the real Redis named by
// REDIS_URL (CI sets it) or, without it, on an embedded miniredis. Every test gets a fresh
// key prefix and its keys are deleted afterwards, so packages can share one real Redis while
// `go test ./...` runs them in parallel.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/trymetriqs/metriqs/lib/store"
)

// URL returns a Redis URL for tests: REDIS_URL when set, otherwise a miniredis that
// lives as long as the test.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	mr := miniredis.RunT(t)
	return "redis://" + mr.Addr()
}

// Real reports whether tests run against a real Redis server.
func Real() bool { return os.Getenv("REDIS_URL") != "" }

// New returns a Store with a unique prefix whose keys are removed when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(URL(t), Prefix())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		Flush(t, s)
		s.Close()
	})
	return s
}

// Prefix returns a fresh key prefix for one test.
func Prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "mqtest:" + hex.EncodeToString(b) + ":"
}

// Flush deletes every key under s's prefix.
func Flush(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, k := range Keys(t, s) {
		s.R.Del(ctx, k)
	}
}

// Keys lists every key under s's prefix (a SCAN: tests only, never production code).
func Keys(t testing.TB, s *store.Store) []string {
	t.Helper()
	var keys []string
	iter := s.R.Scan(context.Background(), 0, s.Prefix()+"*", 500).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("storetest: scan: %v", err)
	}
	return keys
}

// Values renders every key under s's prefix with its whole value (hash fields, set members
// sorted, list items, sorted-set members with scores), for tests that look for what must not
// be stored, or that compare the store before and after.
func Values(t testing.TB, s *store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range Keys(t, s) {
		var v any
		switch s.R.Type(ctx, k).Val() {
		case "string":
			v = s.R.Get(ctx, k).Val()
		case "hash":
			v = s.R.HGetAll(ctx, k).Val()
		case "set":
			m := s.R.SMembers(ctx, k).Val()
			slices.Sort(m)
			v = m
		case "list":
			v = s.R.LRange(ctx, k, 0, -1).Val()
		case "zset":
			v = s.R.ZRangeWithScores(ctx, k, 0, -1).Val()
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}
