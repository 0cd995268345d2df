package lazy

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBuildsOnceOnFirstGet(t *testing.T) {
	var builds atomic.Int32
	v := New(func() (int, error) { builds.Add(1); return 42, nil })
	if builds.Load() != 0 {
		t.Fatal("built before the first Get")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := v.Get(); n != 42 || err != nil {
				t.Errorf("Get = %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("built %d times", builds.Load())
	}
}

func TestKeepsTheError(t *testing.T) {
	boom := errors.New("no REDIS_URL")
	v := New(func() (*int, error) { return nil, boom })
	for range 2 {
		if _, err := v.Get(); err != boom {
			t.Fatalf("err = %v", err)
		}
	}
}
