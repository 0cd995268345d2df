package integration

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Callback error codes, sent to /app/integrations?error=CODE. Nothing is stored for any.
const (
	CallbackSessionRequired = "session_required"        // no Metriqs session in this browser
	CallbackInvalidState    = "invalid_state"           // missing, unknown, expired, reused or another user's
	CallbackAccessDenied    = "access_denied"           // the user said no at the provider
	CallbackProviderError   = "provider_error"          // the provider answered another error=
	CallbackInvalidRequest  = "invalid_request"         // no code
	CallbackNotConfigured   = "provider_not_configured" // the provider's client was removed meanwhile
	CallbackExchangeFailed  = "exchange_failed"         // the provider refused the code
	CallbackMissingScope    = "insufficient_scope"      // a needed permission was not granted
	CallbackUnavailable     = "unavailable"             // Redis or the provider did not answer
	CallbackPlanLimit       = "plan_limit"              // the plan's integrations are all taken (a new one, not a reconnect)
)

// Callback serves the provider's redirect back to Metriqs: it finishes the connection and
// sends the browser to /app/integrations?connected=PROVIDER, or ?error=CODE.
func (s *Service) Callback(w http.ResponseWriter, r *http.Request) error {
	providerID, code := s.finish(r.Context(), r)
	q := url.Values{}
	if code != "" {
		q.Set("error", code)
	} else {
		q.Set("connected", providerID)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	// The callback URL holds the code; the page it leads to must not pass it on.
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.o.AppURL+"/app/integrations?"+q.Encode(), http.StatusFound)
	return nil
}

// finish runs the callback's steps in order and returns the provider connected, or the
// error code of the step that refused.
func (s *Service) finish(ctx context.Context, r *http.Request) (string, string) {
	userID, err := s.o.Identify(r)
	if err != nil {
		return "", callbackCode(err, CallbackSessionRequired)
	}
	q := r.URL.Query()
	pd, verifier, err := s.takeState(ctx, userID, q.Get("state"))
	if err != nil {
		return "", callbackCode(err, CallbackInvalidState)
	}
	// Only now, with a state we issued, is the provider's answer worth reading.
	if e := q.Get("error"); e != "" {
		slog.Info("integration: provider refused authorization", "provider", pd.Provider, "error", e)
		if e == "access_denied" {
			return "", CallbackAccessDenied
		}
		return "", CallbackProviderError
	}
	if q.Get("code") == "" {
		return "", CallbackInvalidRequest
	}
	p, err := s.configured(pd.Provider)
	if err != nil || (pd.Mode == provider.ModeTest && !p.HasTestMode()) {
		return "", CallbackNotConfigured
	}
	p = p.ForMode(pd.Mode) // the key of the install's mode, for the exchange and after
	tok, err := s.exchange(ctx, p, q.Get("code"), verifier)
	if err != nil {
		slog.Warn("integration: code exchange failed", "provider", p.ID, "err", err)
		return "", callbackCode(err, CallbackExchangeFailed)
	}
	granted, missing := p.Granted(tok)
	if len(missing) > 0 {
		slog.Info("integration: scopes not granted", "provider", p.ID, "missing", missing)
		s.discard(ctx, userID, p, tok)
		return "", CallbackMissingScope
	}
	if len(granted) == 0 {
		granted = p.ScopeNames() // fixed by the app's registration (GitHub, Stripe)
	}
	acct, selection := s.describe(ctx, p, tok)
	if err := s.save(ctx, userID, p, tok, granted, acct, selection, web.ClientOf(r)); err != nil {
		return "", s.refused(ctx, userID, p, tok, err)
	}
	return p.ID, ""
}

// refused is the code of a save that failed; over the plan, the tokens are discarded.
func (s *Service) refused(ctx context.Context, userID string, p *provider.Provider, tok *oauth2.Token, err error) string {
	if problem.CodeOf(err) != plan.CodeLimit {
		return callbackCode(err, CallbackUnavailable)
	}
	s.discard(ctx, userID, p, tok)
	return CallbackPlanLimit
}

func callbackCode(err error, fallback string) string {
	if pr, ok := problem.As(err); ok && pr.Status >= 500 {
		return CallbackUnavailable
	}
	return fallback
}

// exchange trades the code for tokens and puts their expiry on our clock.
func (s *Service) exchange(ctx context.Context, p *provider.Provider, code, verifier string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.withHTTP(ctx), providerTimeout)
	defer cancel()
	tok, err := p.Exchange(ctx, s.redirectURI(), code, verifier)
	if err != nil {
		return nil, err
	}
	s.clockExpiry(p, tok)
	return tok, nil
}

// clockExpiry restates the token's expiry on the service's clock (x/oauth2 uses the wall
// clock), so refresh decisions and tests agree. A provider that does not say how long its
// tokens live gets its documented lifetime.
func (s *Service) clockExpiry(p *provider.Provider, t *oauth2.Token) {
	switch {
	case t.ExpiresIn > 0:
		t.Expiry = s.o.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	case !t.Expiry.IsZero():
		t.Expiry = s.o.Now().Add(time.Until(t.Expiry))
	case p.AssumedLifetime > 0:
		t.Expiry = s.o.Now().Add(p.AssumedLifetime)
	}
}

// describe names the account and picks the first choice as the default selection. Both are
// conveniences: a provider that does not answer leaves them empty, and Client picks a
// default later.
func (s *Service) describe(ctx context.Context, p *provider.Provider, tok *oauth2.Token) (provider.Account, []provider.Choice) {
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	hc := s.authorized(p, oauth2.StaticTokenSource(tok))
	acct, err := p.Account(ctx, hc, tok)
	if err != nil {
		slog.Warn("integration: account name", "provider", p.ID, "err", err)
	}
	choices, err := p.Choices(ctx, hc)
	if err != nil {
		slog.Warn("integration: list choices", "provider", p.ID, "err", err)
	}
	var selection []provider.Choice
	if len(choices) > 0 {
		selection = choices[:1]
		if acct.Label == "" {
			acct.Label = cmp.Or(choices[0].Group, choices[0].Label)
		}
	}
	return acct, selection
}

// save stores the new integration in one transaction: the record with its sealed tokens
// (replacing any earlier one), its place in the user's index and the global index, and the
// security-log event. Replacing one that needed reconnecting queues the "works again"
// notice, keyed by the new generation, and asks for the held runs to be sent (ResumeJob).
func (s *Service) save(ctx context.Context, userID string, p *provider.Provider, tok *oauth2.Token, granted []string,
	acct provider.Account, selection []provider.Choice, c web.Client) error {
	fields, err := s.tokenFields(userID, p.ID, tok)
	if err != nil {
		return err
	}
	sel, _ := json.Marshal(selection)
	fields[fStatus] = StatusConnected
	fields[fAccount] = acct.Label
	fields[fAccountID] = acct.ID
	fields[fScopes] = strings.Join(granted, " ")
	fields[fConnectedAt] = s.o.Now().UTC().Format(time.RFC3339)
	fields[fSelection] = string(sel)
	fields[fGen] = ids.New()
	fields[fMode] = p.Mode
	key := s.recordKey(userID, p.ID)
	lim, err := s.planOf(ctx, userID)
	if err != nil {
		return err
	}
	var prev string
	write := func(tx *redis.Tx) error {
		have, err := s.connectedIn(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := judge(lim, p.ID, have); err != nil {
			return err
		}
		prev, _ = tx.HGet(ctx, key, fStatus).Result()
		return s.write(ctx, tx, userID, p, acct, fields, c)
	}
	if err := s.watch(ctx, write, s.recordKeys(userID)...); err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return store.Err(fmt.Errorf("integration: save %s: %w", p.ID, err))
	}
	if prev == StatusNeedsReauth {
		s.notifyHealth(ctx, userID, p, notice.KindRestored, fields[fGen].(string))
		s.resumeHeld(ctx, userID, fields[fGen].(string))
	}
	return nil
}

// write replaces the record in tx's transaction, with its indexes and security-log event.
func (s *Service) write(ctx context.Context, tx *redis.Tx, userID string, p *provider.Provider, acct provider.Account,
	fields map[string]any, c web.Client) error {
	key := s.recordKey(userID, p.ID)
	_, err := tx.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.Del(ctx, key)
		pl.HSet(ctx, key, fields)
		s.o.Store.Own(ctx, pl, userID, key)
		pl.SAdd(ctx, s.indexKey(), indexMember(userID, p.ID))
		s.log.Add(ctx, pl, userID, audit.IntegrationConnected, c, describeEvent(p.Name, acct.Label))
		return nil
	})
	return err
}

// discard gets rid of tokens the callback will not keep: revoked when that cannot hurt. At
// a one-grant provider (Google) revoking them would also revoke a connection the user
// already has (this provider's, or the other Google one's), so then they are left alone and
// the unused scopes stay granted until the user removes Metriqs in their Google account.
func (s *Service) discard(ctx context.Context, userID string, p *provider.Provider, tok *oauth2.Token) {
	if p.OneGrant {
		for _, q := range append(s.o.Providers.Siblings(p), p) {
			if n, _ := s.o.Store.R.Exists(ctx, s.recordKey(userID, q.ID)).Result(); n > 0 {
				return
			}
		}
	}
	g := provider.Grant{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Mode: p.Mode}
	g.AccountID, _ = tok.Extra("stripe_user_id").(string)
	s.revokeOrphan(ctx, userID, p, g, tok.Expiry)
}

func describeEvent(name, account string) string {
	if account == "" {
		return name
	}
	return name + " (" + account + ")"
}
