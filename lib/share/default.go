package share

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/deps"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/report"
)

var instance = lazy.New(func() (*Service, error) {
	c, err := deps.Load()
	if err != nil {
		return nil, err
	}
	reports, err := report.Default()
	if err != nil {
		return nil, err
	}
	return New(c.Store, reports, c.Config.AppURL, time.Now), nil
})

// Default is the function instance's Service: the store, the report service and APP_URL.
func Default() (*Service, error) { return instance.Get() }
