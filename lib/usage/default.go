package usage

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (*Service, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	return New(st, billing.New(st, time.Now), time.Now), nil
})

// Default is the function instance's Service: plans from lib/billing's subscription state.
func Default() (*Service, error) { return instance.Get() }

// SummaryFor is GET /api/billing for a signed-in user, with the invoices from lib/billing.
func (s *Service) SummaryFor(ctx context.Context, userID string) (*Summary, error) {
	return s.Summarize(ctx, userID, billing.New(s.st, s.now))
}
