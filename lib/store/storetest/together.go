package storetest

import "sync"

// Together runs f(0) … f(n-1), each in its own goroutine, and returns when all have returned.
// The goroutines are held at a gate until every one of them exists and then released at once:
// on Vercel each request is its own instance, so a burst reaches Redis as n clients at the
// same moment, and a limit, a one-winner claim or an exactly-once ledger is only proven when
// the test's requests meet in Redis the same way, not one after another.
//
// f runs outside the test's goroutine: it may call t.Error, never t.Fatal or t.FailNow.
func Together(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}
