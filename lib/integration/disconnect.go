package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// A disconnect waits this long for a refresh in flight, then at most revokeTimeout for the
// provider; past that, QStash retries. Both fit a function's 10 seconds.
const (
	disconnectLockWait = 2 * time.Second
	revokeTimeout      = 5 * time.Second
)

// DisconnectInput is the body of POST /api/integrations/disconnect.
type DisconnectInput struct {
	Provider string `json:"provider"`
}

// revocation is how a revocation at the provider went.
type revocation int

const (
	revoked         revocation = iota // the provider confirmed
	alreadyInvalid                    // the provider says the token no longer works
	nothingToRevoke                   // no usable token was stored (needs_reauth)
	revokeFailed                      // no answer, 5xx, 429 or a refusal that proves nothing: to be retried
)

// Disconnect revokes the user's grant at the provider, then deletes the integration (sealed
// tokens, status and choice) at once. When the provider does not answer, the revocation is
// queued for retry (api/jobs/revoke-token, with the tokens sealed); the local data is gone
// either way. Disconnecting what is not connected does nothing.
func (s *Service) Disconnect(ctx context.Context, userID string, in DisconnectInput, c web.Client) error {
	p, err := s.known(in.Provider)
	if err != nil {
		return err
	}
	return s.disconnect(ctx, userID, p, c, false)
}

// DisconnectAll disconnects every integration of userID, for account deletion. Unlike
// Disconnect, it keeps an integration whose revocation could neither be done nor queued, and
// returns an error: the account's purge retries it, and the record holds the sealed tokens
// that revocation needs.
func (s *Service) DisconnectAll(ctx context.Context, userID string, c web.Client) error {
	ids, err := s.Connected(ctx, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if p, ok := s.o.Providers.Lookup(id); ok {
			errs = append(errs, s.disconnect(ctx, userID, p, c, true))
		}
	}
	return errors.Join(errs...)
}

// errNotRevoked: a revocation failed and could not be queued either.
var errNotRevoked = errors.New("integration: revocation failed and could not be queued")

func (s *Service) disconnect(ctx context.Context, userID string, p *provider.Provider, c web.Client, keepUnrevoked bool) error {
	// Wait briefly for a refresh in flight, so that what is revoked is the newest token. If
	// the lock stays busy, go on: the refresh will find the record gone and revoke what it got.
	lctx, cancel := context.WithTimeout(ctx, disconnectLockWait)
	l, err := s.lock(lctx, userID, p.ID)
	cancel()
	if err == nil {
		defer l.unlock(ctx)
	}
	rec, err := s.load(ctx, userID, p.ID)
	if errors.Is(err, ErrNotConnected) {
		return nil
	}
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	g, expiry := s.liveGrant(rctx, p, s.grantOf(userID, p, rec), rec.Expiry)
	outcome := s.revokeNow(rctx, p, g)
	cancel()
	queued := false
	if outcome == revokeFailed {
		if err := s.queueRevoke(ctx, userID, p, g, expiry, false); err != nil {
			slog.Error("integration: could not queue revocation", "provider", p.ID, "err", err)
		} else {
			queued = true
		}
	}
	if outcome == revokeFailed && !queued && keepUnrevoked {
		return fmt.Errorf("%w: %s", errNotRevoked, p.ID)
	}
	if err := s.remove(ctx, userID, p, rec, outcome, queued, c); err != nil {
		return err
	}
	if outcome == revoked {
		s.siblingsRevoked(ctx, userID, p)
	}
	return nil
}

// grantOf opens what revocation needs. Tokens that cannot be opened cannot be revoked by
// us; the account id is enough for Stripe.
func (s *Service) grantOf(userID string, p *provider.Provider, rec *record) provider.Grant {
	g := provider.Grant{AccountID: rec.AccountID, Mode: rec.Mode}
	if rec.Access == "" {
		return g
	}
	if tok, err := s.open(userID, p.ID, rec); err == nil {
		g.AccessToken, g.RefreshToken = tok.AccessToken, tok.RefreshToken
	}
	return g
}

// revokeNow revokes g at the provider.
func (s *Service) revokeNow(ctx context.Context, p *provider.Provider, g provider.Grant) revocation {
	err := p.ForMode(g.Mode).Revoke(ctx, s.o.HTTPClient, g)
	switch {
	case err == nil:
		return revoked
	case errors.Is(err, provider.ErrNothingToRevoke):
		return nothingToRevoke
	case errors.Is(err, provider.ErrRejected):
		slog.Info("integration: provider says the token is already invalid", "provider", p.ID, "err", err)
		return alreadyInvalid
	}
	slog.Warn("integration: revocation failed", "provider", p.ID, "err", err)
	return revokeFailed
}

// liveGrant renews an expired access token for providers that revoke with one (GitHub),
// and returns the grant to revoke with its access token's expiry. The renewed tokens are
// not stored: they are about to be revoked (or queued for it, in place of the spent ones).
func (s *Service) liveGrant(ctx context.Context, p *provider.Provider, g provider.Grant, expiry time.Time) (provider.Grant, time.Time) {
	if !p.RevokeNeedsLiveToken || g.RefreshToken == "" || (!expiry.IsZero() && s.o.Now().Add(time.Minute).Before(expiry)) {
		return g, expiry
	}
	t, err := p.ForMode(g.Mode).Refresh(s.withHTTP(ctx), g.RefreshToken)
	if err != nil {
		return g, expiry
	}
	s.clockExpiry(p, t)
	return provider.Grant{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, AccountID: g.AccountID, Mode: g.Mode}, t.Expiry
}

// remove deletes the integration and writes the security-log events, in one transaction.
func (s *Service) remove(ctx context.Context, userID string, p *provider.Provider, rec *record, outcome revocation, queued bool, c web.Client) error {
	name := describeEvent(p.Name, rec.Account)
	detail := map[revocation]string{
		revoked:         name + ": revoked at the provider and deleted.",
		alreadyInvalid:  name + ": deleted; the provider reports the access was already revoked.",
		nothingToRevoke: name + ": deleted. Metriqs held no usable token to revoke with; if Metriqs is still listed in your " + p.Name + " account's settings, remove it there.",
		revokeFailed:    name + ": deleted; revocation at the provider is pending.",
	}[outcome]
	if outcome == nothingToRevoke && rec.Status == StatusNeedsReauth {
		detail = name + ": deleted; its access had already ended."
	}
	_, err := s.o.Store.R.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.Del(ctx, s.recordKey(userID, p.ID), s.lockKey(userID, p.ID))
		pl.SRem(ctx, s.indexKey(), indexMember(userID, p.ID))
		s.log.Add(ctx, pl, userID, audit.IntegrationDisconnect, c, detail)
		if outcome == revokeFailed {
			why := p.Name + ": the provider did not confirm the revocation; Metriqs will retry it."
			if !queued {
				why = p.Name + ": the revocation could not be scheduled; remove Metriqs from your " + p.Name + " account settings."
			}
			s.log.Add(ctx, pl, userID, audit.IntegrationRevokeFailed, c, why)
		}
		return nil
	})
	return store.Err(err)
}

// siblingsRevoked marks the providers that shared the revoked grant (the other Google one)
// needs_reauth: their tokens died with it.
func (s *Service) siblingsRevoked(ctx context.Context, userID string, p *provider.Provider) {
	for _, sib := range s.o.Providers.Siblings(p) {
		reason := "Access ended when " + p.Name + " was disconnected: Google keeps one authorization for both."
		if err := s.markReauth(ctx, userID, sib, "", reason); err != nil {
			slog.Error("integration: mark sibling needs_reauth", "provider", sib.ID, "err", err)
		}
	}
}

// revokeOrphan revokes tokens no integration will hold. When the provider does not answer,
// the revocation is queued like a disconnect's: the tokens are live, and nobody else knows
// of them.
func (s *Service) revokeOrphan(ctx context.Context, userID string, p *provider.Provider, g provider.Grant, expiry time.Time) {
	ctx = context.WithoutCancel(ctx)
	rctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	outcome := s.revokeNow(rctx, p, g)
	cancel()
	if outcome != revokeFailed {
		return
	}
	if err := s.queueRevoke(ctx, userID, p, g, expiry, true); err != nil {
		slog.Error("integration: could not queue the revocation of unused tokens", "provider", p.ID, "err", err)
	}
}
