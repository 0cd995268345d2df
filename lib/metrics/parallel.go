package metrics

import (
	"context"
	"sync"
)

// each runs fn(ctx, i) for i in [0, n) with at most limit running at once, and returns the
// first error. That error cancels the others: a section with one failed part is failed, so
// their answers would be thrown away. Running a provider's calls side by side keeps a report
// close to one round trip per provider, not the sum of them.
func each(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		slots = make(chan struct{}, max(limit, 1))
	)
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				// The first failure is the real one; the rest are mostly "canceled".
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// Cancelled from outside before every part ran.
		return context.Cause(ctx)
	}
	return first
}
