package schedule

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (*Service, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	reports, err := report.Default()
	if err != nil {
		return nil, err
	}
	return New(st, reports, time.Now), nil
})

// Default is the function instance's Service.
func Default() (*Service, error) { return instance.Get() }

// CreateFor adds a schedule for a signed-in user; without a time zone in the input, the
// user's profile time zone is used.
func (s *Service) CreateFor(ctx context.Context, userID string, in Input) (*Schedule, error) {
	accounts, err := account.Default()
	if err != nil {
		return nil, err
	}
	u, err := accounts.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, userID, u.TimeZone, in)
}
