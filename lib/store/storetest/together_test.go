package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Every f waits at a barrier that opens only when all n are running, so a Together that runs
// them one after another, or a few at a time, never returns (go test's -timeout then names
// this test). Each i is called exactly once, and Together returns after the last f.
func TestTogetherRunsAllAtOnce(t *testing.T) {
	const n = 50
	var running sync.WaitGroup
	running.Add(n)
	var calls [n]atomic.Int32
	var finished atomic.Int32
	Together(n, func(i int) {
		calls[i].Add(1)
		running.Done()
		running.Wait()
		finished.Add(1)
	})
	for i := range calls {
		if c := calls[i].Load(); c != 1 {
			t.Errorf("f(%d) called %d times, want 1", i, c)
		}
	}
	if got := finished.Load(); got != n {
		t.Fatalf("Together returned with %d of %d calls finished", got, n)
	}
}
