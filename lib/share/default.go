package share

import (
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

var instance = lazy.New(func() (*Service, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	reports, err := report.Default()
	if err != nil {
		return nil, err
	}
	return New(st, reports, cfg.AppURL, time.Now), nil
})

// Default is the function instance's Service: the store, the report service and APP_URL.
func Default() (*Service, error) { return instance.Get() }
