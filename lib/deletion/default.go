package deletion

import (
	"sync"
	"time"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/schedule"
	"github.com/trymetriqs/metriqs/lib/store"
)

var (
	once    sync.Once
	def     *Service
	errInit error
)

// Default is the function instance's Service.
func Default() (*Service, error) {
	once.Do(func() {
		st, err := store.Default()
		if err != nil {
			errInit = err
			return
		}
		accounts, err := account.Default()
		if err != nil {
			errInit = err
			return
		}
		integrations, err := integration.Default()
		if err != nil {
			errInit = err
			return
		}
		pub, err := jobs.Default()
		if err != nil {
			errInit = err
			return
		}
		// Removing schedules needs no report service.
		def = New(st, accounts, integrations, schedule.New(st, nil, time.Now), pub, time.Now)
	})
	return def, errInit
}
