package deletion

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/billing/stripeapi"
	"github.com/trymetriqs/metriqs/lib/config"
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

var purger = lazy.New(func() (*Service, error) {
	svc, err := Default()
	if err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	if !cfg.Billing.Enabled() {
		return svc, nil
	}
	return svc.WithStripe(stripeapi.New(cfg.Billing.SecretKey, cfg.Billing.APIURL)), nil
})

// Purger is Default that also cancels subscriptions at Stripe: for the purge job, the sweep
// and cmd/accounts. api/account/delete (the closest function to the 10 MiB limit) never
// purges, so it does not link the Stripe client.
func Purger() (*Service, error) { return purger.Get() }
