package testclock

import (
	"sync"
	"testing"
	"time"
)

// The clock stands still until moved, and many goroutines can read it while it moves.
func TestMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	c := New(start)
	if !c.Now().Equal(start) || !c.Now().Equal(start) {
		t.Fatalf("Now = %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); c.Add(time.Minute) }()
		go func() { defer wg.Done(); _ = c.Now() }()
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 8*time.Minute {
		t.Fatalf("moved %v", got)
	}
}
