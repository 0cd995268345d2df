package export

import (
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/billing"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store"
)

var (
	once    sync.Once
	def     Sources
	errInit error
)

// DefaultSources are the function instance's services.
func DefaultSources() (Sources, error) {
	once.Do(func() {
		var err error
		src := Sources{Now: time.Now}
		if src.Store, err = store.Default(); err != nil {
			errInit = err
			return
		}
		if src.Accounts, err = account.Default(); err != nil {
			errInit = err
			return
		}
		if src.Integrations, err = integration.Default(); err != nil {
			errInit = err
			return
		}
		if src.Reports, err = report.Default(); err != nil {
			errInit = err
			return
		}
		src.Schedules = schedule.New(src.Store, src.Reports, time.Now)
		src.Billing = billing.New(src.Store, time.Now)
		def = src
	})
	return def, errInit
}
