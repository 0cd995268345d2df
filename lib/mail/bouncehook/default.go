package bouncehook

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Mark is the Marker of the product: the account's transaction, lib/mail's bounce record.
func Mark(acc *account.Service, ms *mail.Service) Marker {
	return func(ctx context.Context, email string, b mail.BounceInfo) (bool, error) {
		return acc.MarkBounced(ctx, email, func(p redis.Pipeliner, userID, address string) {
			b.Address = address
			ms.QueueBounce(ctx, p, userID, b)
		})
	}
}

var instance = lazy.New(func() (*Hook, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	acc, err := account.Default()
	if err != nil {
		return nil, err
	}
	return New(st, cfg.Mail.WebhookSecrets, time.Now, Mark(acc, mail.New(st, nil, time.Now))), nil
})

// Default is the function instance's Hook, built on first use.
func Default() (*Hook, error) { return instance.Get() }
