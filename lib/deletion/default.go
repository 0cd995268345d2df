package deletion

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (*Service, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	accounts, err := account.Default()
	if err != nil {
		return nil, err
	}
	integrations, err := integration.Default()
	if err != nil {
		return nil, err
	}
	pub, err := jobs.Default()
	if err != nil {
		return nil, err
	}
	// Removing schedules needs no report service.
	return New(st, accounts, integrations, schedule.New(st, nil, time.Now), pub, time.Now), nil
})

// Default is the function instance's Service.
func Default() (*Service, error) { return instance.Get() }
