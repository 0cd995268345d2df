package notice

import (
	"context"
	"errors"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Connection is a change in the health of one integration.
type Connection struct {
	// Kind is KindNeedsReauth or KindRestored.
	Kind string
	// Provider is the provider's id, Name what the user calls it ("Google Analytics").
	Provider, Name string
	// ID names this occurrence: the integration's generation (one per connect), so a
	// connection that fails is told once however many reports fail on it.
	ID string
}

// errNoAccount: the account is closed or gone, so there is no one to tell.
var errNoAccount = errors.New("notice: no live account")

// NotifyConnection queues the connection notice n to the live account userID, whose address
// it reads from st, with Default. A closed account is told nothing.
func NotifyConnection(ctx context.Context, st *store.Store, userID string, n Connection) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.Connection(ctx, st, userID, n)
}

// Connection queues n to the address of the live account userID. The message's Key is
// "connection:" + Kind + ":" + Provider + ":" + ID.
func (s *Service) Connection(ctx context.Context, st *store.Store, userID string, n Connection) error {
	to, err := Address(ctx, st, userID)
	if errors.Is(err, errNoAccount) {
		return nil
	} else if err != nil {
		return err
	}
	m := mail.Message{Key: "connection:" + n.Kind + ":" + n.Provider + ":" + n.ID, UserID: userID, To: to,
		From: mail.FromAccount, Kind: n.Kind, Data: map[string]string{"provider": n.Name, "url": s.appURL + integrationsPath}}
	if err := s.enqueue(ctx, m); err != nil {
		return fmt.Errorf("notice: queue %s for %s: %w", n.Kind, userID, err)
	}
	return nil
}

// Address reads the address of a live account for packages that cannot import lib/account
// (it imports this one): the "email" and "deleted" fields of the user hash user:{id}
// (lib/account/user.go; e2e tests pin the two together).
func Address(ctx context.Context, st *store.Store, userID string) (string, error) {
	v, err := st.R.HMGet(ctx, st.Key("user", userID), "email", "deleted").Result()
	if err != nil {
		return "", store.Err(fmt.Errorf("notice: address of %s: %w", userID, err))
	}
	email, _ := v[0].(string)
	if deleted, _ := v[1].(string); email == "" || deleted != "" {
		return "", errNoAccount
	}
	return email, nil
}
