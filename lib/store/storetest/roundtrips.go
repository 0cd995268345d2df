package storetest

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// RoundTrips counts the round trips a store makes to Redis: a command or a pipeline is one.
// go-redis's own start of a new connection (HELLO, AUTH, SELECT, CLIENT) is not counted: it
// happens once per connection, not per request.
type RoundTrips struct{ n atomic.Int64 }

// CountRoundTrips starts counting s's round trips.
func CountRoundTrips(s *store.Store) *RoundTrips {
	rt := &RoundTrips{}
	s.R.AddHook(rt)
	return rt
}

// N is the count so far.
func (rt *RoundTrips) N() int64 { return rt.n.Load() }

func setup(cmds ...redis.Cmder) bool {
	for _, c := range cmds {
		switch c.Name() {
		case "hello", "auth", "select", "client":
		default:
			return false
		}
	}
	return true
}

// DialHook implements redis.Hook.
func (rt *RoundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

// ProcessHook implements redis.Hook.
func (rt *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			rt.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (rt *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !setup(cmds...) {
			rt.n.Add(1)
		}
		return next(ctx, cmds)
	}
}
