package qstashdev

import (
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/web"
)

// A delivery waits longer than a job function may run (its deadline is ten times longer in
// -race builds): before, the stand-in gave up after outbound's 15 s header timeout, while a
// job may take 59 s, and retried an attempt still running.
func TestDeliveryOutwaitsTheJobDeadline(t *testing.T) {
	s, err := New(Options{Token: "t", CurrentSigningKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.o.HTTPClient
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.Transport)
	}
	for name, d := range map[string]time.Duration{"client timeout": c.Timeout, "answer header timeout": tr.ResponseHeaderTimeout} {
		if d < 10*web.JobDeadline {
			t.Errorf("%s = %v, shorter than the job deadline (×10 under -race) %v", name, d, 10*web.JobDeadline)
		}
	}
}
