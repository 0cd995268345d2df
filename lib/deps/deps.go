// Package deps gathers the dependencies the report services (lib/report, lib/share,
// lib/delivery) are all built from: the configuration, the store, the QStash publisher and
// the user's integrations. Each is its own package's lazy Default, so Load does no work
// twice in an instance; what deps adds is writing that wiring once. It links nothing those
// services did not already link: no provider fetcher (lib/metrics), which only
// report.Default adds, and no mail transport.
package deps

import (
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Common is what every report service's Default starts from.
type Common struct {
	Config *config.Config
	Store  *store.Store
	Pub    *jobs.Publisher
	Conns  *integration.Service
}

// Load returns the instance's Common; the first dependency that cannot be built is the error
// (a configuration error as a 500 problem, the others as their Default returns them).
func Load() (Common, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return Common{}, problem.Internal(err)
	}
	st, err := store.Default()
	if err != nil {
		return Common{}, err
	}
	pub, err := jobs.Default()
	if err != nil {
		return Common{}, err
	}
	conns, err := integration.Default()
	if err != nil {
		return Common{}, err
	}
	return Common{Config: cfg, Store: st, Pub: pub, Conns: conns}, nil
}
