package export

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (Sources, error) {
	var err error
	src := Sources{Now: time.Now}
	if src.Store, err = store.Default(); err != nil {
		return Sources{}, err
	}
	if src.Accounts, err = account.Default(); err != nil {
		return Sources{}, err
	}
	if src.Integrations, err = integration.Default(); err != nil {
		return Sources{}, err
	}
	if src.Reports, err = report.Default(); err != nil {
		return Sources{}, err
	}
	src.Schedules = schedule.New(src.Store, src.Reports, time.Now)
	src.Billing = billing.New(src.Store, time.Now)
	return src, nil
})

// DefaultSources are the function instance's services.
func DefaultSources() (Sources, error) { return instance.Get() }
