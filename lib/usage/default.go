package usage

import (
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
