package routes

import (
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/vercel"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Every function's request deadline ends before Vercel stops it (vercel.json maxDuration),
// with room to write the 503, and is not needlessly short.
func TestDeadlinesFitMaxDuration(t *testing.T) {
	cfg, err := vercel.Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Table {
		rule, ok := cfg.Functions.For(r.File)
		if !ok || rule.MaxDuration == 0 {
			t.Errorf("%s: no maxDuration in vercel.json", r.File)
			continue
		}
		limit := time.Duration(rule.MaxDuration) * time.Second
		if d := web.DeadlineFor(r.Path); d > limit-time.Second || d < limit-2*time.Second {
			t.Errorf("%s: deadline %v for maxDuration %v; want a second or two under it", r.Path, d, limit)
		}
	}
}
