package integration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/seal"
)

// resumes is a Publisher that keeps the ResumeJob messages and lets revocations through.
type resumes struct {
	mu   sync.Mutex
	msgs []integration.ResumeBody
}

func (r *resumes) Publish(_ context.Context, job string, body any, _ ...jobs.Option) (string, error) {
	if b, ok := body.(integration.ResumeBody); ok && job == integration.ResumeJob {
		r.mu.Lock()
		r.msgs = append(r.msgs, b)
		r.mu.Unlock()
	}
	return "m", nil
}

// Reconnecting a source that needed it asks for the user's held runs to be sent now (one
// message); a first connection and a connected → connected one ask nothing.
func TestReconnectResumesHeldRuns(t *testing.T) {
	e := setup(t)
	pub := &resumes{}
	sealer, err := seal.New(e.ring)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = integration.New(integration.Options{
		Store: e.st, Sealer: sealer, Providers: e.reg, Publisher: pub, AppURL: appURL, Now: e.clock.Now,
		Identify: func(*http.Request) (string, error) { return e.user, nil }, LockWait: 5 * time.Second, Plans: e,
	})
	e.connect(t, provider.GitHub)
	e.connect(t, provider.GitHub)
	if len(pub.msgs) != 0 {
		t.Fatalf("connecting asked to resume: %+v", pub.msgs)
	}
	if err := e.svc.RefusedAccess(context.Background(), e.user, provider.GitHub); err != nil {
		t.Fatal(err)
	}
	e.connect(t, provider.GitHub)
	b, _ := json.Marshal(pub.msgs)
	if len(pub.msgs) != 1 || pub.msgs[0].UserID != e.user || string(b) != `[{"user_id":"`+e.user+`","resume_held":true}]` {
		t.Fatalf("after reconnecting: %s", b)
	}
}
