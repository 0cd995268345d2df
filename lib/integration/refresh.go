package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// refreshAttemptTimeout bounds one call to a token endpoint; refreshAttempts calls at most.
const (
	refreshAttemptTimeout = 6 * time.Second
	refreshAttempts       = 3
)

// tokenSource is the oauth2.TokenSource behind Client: the stored token while it is fresh,
// otherwise a refresh that is persisted. x/oauth2's own refresher would keep a rotated
// refresh token only in memory, and the next function would spend the dead one.
type tokenSource struct {
	s      *Service
	ctx    context.Context
	userID string
	p      *provider.Provider

	mu     sync.Mutex
	tok    *oauth2.Token
	issued time.Time
}

// Token returns a fresh access token, refreshing first when needed.
func (ts *tokenSource) Token() (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.s.fresh(ts.tok, ts.issued) {
		return ts.tok, nil
	}
	tok, issued, err := ts.s.refresh(ts.ctx, ts.userID, ts.p)
	if err != nil {
		return nil, err
	}
	ts.tok, ts.issued = tok, issued
	return tok, nil
}

// fresh reports whether t can be used for a while yet: more than the refresh margin left,
// or more than half its life for tokens that live less than twice the margin.
func (s *Service) fresh(t *oauth2.Token, issued time.Time) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	margin := s.o.RefreshMargin
	if life := t.Expiry.Sub(issued); !issued.IsZero() && life > 0 && life/2 < margin {
		margin = life / 2
	}
	return s.o.Now().Add(margin).Before(t.Expiry)
}

// refresh renews an integration's tokens. Only the holder of the integration's lock calls
// the provider; the others wait, reading the record as they do, and take the token the
// holder stored. The holder reads the record again once it has the lock (another function
// may have refreshed between its read and its lock) and calls the provider only when the
// stored token is still stale. The rotated tokens are sealed and stored before the lock is
// let go.
func (s *Service) refresh(ctx context.Context, userID string, p *provider.Provider) (*oauth2.Token, time.Time, error) {
	w := s.waiter()
	for {
		rec, tok, err := s.current(ctx, userID, p)
		if err != nil {
			return nil, time.Time{}, err
		}
		if s.fresh(tok, rec.IssuedAt) {
			return tok, rec.IssuedAt, nil
		}
		l, err := s.tryLock(ctx, userID, p.ID)
		if err != nil {
			return nil, time.Time{}, transientError(p, err)
		}
		if l != nil {
			defer l.unlock(ctx)
			return s.refreshLocked(ctx, userID, p)
		}
		if err := w.wait(ctx); err != nil {
			return nil, time.Time{}, transientError(p, err)
		}
	}
}

// refreshLocked is refresh's work under the lock.
func (s *Service) refreshLocked(ctx context.Context, userID string, p *provider.Provider) (*oauth2.Token, time.Time, error) {
	rec, tok, err := s.current(ctx, userID, p)
	if err != nil {
		return nil, time.Time{}, err
	}
	if s.fresh(tok, rec.IssuedAt) {
		return tok, rec.IssuedAt, nil
	}
	if tok.RefreshToken == "" {
		return nil, time.Time{}, s.needsReauth(ctx, userID, p, rec.Gen, "The access token expired and the provider gave no refresh token.", nil)
	}
	nt, err := s.callRefresh(ctx, p.ForMode(rec.Mode), tok.RefreshToken)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "bad_refresh_token") {
			// invalid_grant is RFC 6749's answer for a revoked or expired refresh token;
			// bad_refresh_token is GitHub's.
			return nil, time.Time{}, s.needsReauth(ctx, userID, p, rec.Gen, "The provider refused to renew access: it was revoked or has expired.", err)
		}
		if retryable(err) {
			return nil, time.Time{}, transientError(p, err)
		}
		return nil, time.Time{}, &metrics.Error{Provider: p.ID, Kind: metrics.ErrPermanent, Message: p.Name + " refused to renew access.", Cause: err}
	}
	s.clockExpiry(p, nt)
	fields, err := s.tokenFields(userID, p.ID, nt)
	if err != nil {
		return nil, time.Time{}, err
	}
	if err := s.update(ctx, userID, p.ID, rec.Gen, fields); err != nil {
		if errors.Is(err, ErrNotConnected) && !errors.Is(err, errReplaced) {
			// Disconnected while we refreshed: the new tokens must not outlive that. (When
			// the user connected again instead, they are left alone: at a one-grant provider
			// revoking them would revoke the new connection too.)
			s.revokeOrphan(ctx, userID, p, provider.Grant{AccessToken: nt.AccessToken, RefreshToken: nt.RefreshToken, AccountID: rec.AccountID, Mode: rec.Mode}, nt.Expiry)
		}
		return nil, time.Time{}, err
	}
	return nt, s.o.Now(), nil
}

// current loads an integration and opens its tokens. A record that is not connected, or
// whose tokens cannot be opened (a removed key, a truncated or foreign ciphertext), is an
// error wrapping metrics.ErrReauth; the latter is also marked needs_reauth.
func (s *Service) current(ctx context.Context, userID string, p *provider.Provider) (*record, *oauth2.Token, error) {
	rec, err := s.load(ctx, userID, p.ID)
	if err != nil {
		return nil, nil, err
	}
	if rec.Status != StatusConnected {
		return nil, nil, reauthError(p, fmt.Errorf("integration %s is %s", p.ID, rec.Status))
	}
	tok, err := s.open(userID, p.ID, rec)
	if err != nil {
		if unreadable(err) {
			return nil, nil, s.needsReauth(ctx, userID, p, rec.Gen, "The stored credentials can no longer be read.", err)
		}
		return nil, nil, err
	}
	return rec, tok, nil
}

// callRefresh calls the token endpoint, retrying what may pass (no answer, 5xx, 429) with a
// short backoff. A rotated refresh token whose answer was lost cannot be recovered: the
// retry then gets invalid_grant and the user reconnects.
func (s *Service) callRefresh(ctx context.Context, p *provider.Provider, refreshToken string) (*oauth2.Token, error) {
	pause := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(s.withHTTP(ctx), refreshAttemptTimeout)
		t, err := p.Refresh(actx, refreshToken)
		cancel()
		if err == nil || attempt == refreshAttempts || !retryable(err) || ctx.Err() != nil {
			return t, err
		}
		slog.Warn("integration: refresh failed, retrying", "provider", p.ID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 4
	}
}

// retryable: no answer, or a 5xx or 429 answer.
func retryable(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests)
	}
	return !errors.Is(err, context.Canceled)
}

// reauthScript marks an integration needs_reauth and drops its tokens (they are of no use
// any more), returning the status it had and its generation. The status is the "notified"
// flag: only the one call that turns connected into needs_reauth sees "connected", so of 20
// reports failing at once one logs the event and queues the notice. ARGV[2] is the
// generation the failure was seen on (” for any): a newer connection is left alone.
var reauthScript = redis.NewScript(`
local prev = redis.call('HGET', KEYS[1], 'status')
if not prev then return {'', ''} end
local gen = redis.call('HGET', KEYS[1], 'gen') or ''
if ARGV[2] ~= '' and gen ~= ARGV[2] then return {'', ''} end
redis.call('HSET', KEYS[1], 'status', 'needs_reauth', 'reason', ARGV[1])
redis.call('HDEL', KEYS[1], 'access_token', 'refresh_token', 'expiry', 'issued_at')
return {prev, gen}
`)

// needsReauth marks the integration needs_reauth (markReauth) and returns the error
// Client's callers see, wrapping metrics.ErrReauth.
func (s *Service) needsReauth(ctx context.Context, userID string, p *provider.Provider, gen, reason string, cause error) error {
	if err := s.markReauth(ctx, userID, p, gen, reason); err != nil {
		return err
	}
	if cause == nil {
		return reauthError(p, errors.New(reason))
	}
	return reauthError(p, fmt.Errorf("%s: %w", reason, cause))
}

// markReauth sets status needs_reauth and drops the tokens, and the first time writes the
// security-log event and queues the one reconnect notice (keyed by the generation, so a
// redelivered job that gets here again does not mail twice either). An integration that
// does not exist, or is not of generation gen (when gen is not ""), is left alone.
func (s *Service) markReauth(ctx context.Context, userID string, p *provider.Provider, gen, reason string) error {
	res, err := reauthScript.Run(ctx, s.o.Store.R, []string{s.recordKey(userID, p.ID)}, reason, gen).StringSlice()
	if err != nil || len(res) != 2 {
		return store.Err(fmt.Errorf("integration: mark %s needs_reauth: %w (%d values)", p.ID, err, len(res)))
	}
	if res[0] != StatusConnected {
		return nil
	}
	if err := s.log.Record(ctx, userID, audit.IntegrationNeedsReauth, web.System, p.Name+": "+reason); err != nil {
		slog.Error("integration: security log", "err", err)
	}
	s.notifyHealth(ctx, userID, p, notice.KindNeedsReauth, res[1])
	return nil
}

// notifyHealth queues a connection notice; a failure is logged: the status change it is
// about has committed, and the integrations page shows it either way.
func (s *Service) notifyHealth(ctx context.Context, userID string, p *provider.Provider, kind, gen string) {
	if s.o.Notices == nil {
		return
	}
	n := notice.Connection{Kind: kind, Provider: p.ID, Name: p.Name, ID: gen}
	notice.Logged(s.o.Notices.Connection(ctx, s.o.Store, userID, n))
}

func reauthError(p *provider.Provider, cause error) error {
	return &metrics.Error{Provider: p.ID, Kind: metrics.ErrReauth, Message: "Reconnect " + p.Name + ": access was revoked or has expired.", Cause: cause}
}

func transientError(p *provider.Provider, cause error) error {
	return &metrics.Error{Provider: p.ID, Kind: metrics.ErrTransient, Message: p.Name + " could not renew access right now; the report will try again.", Cause: cause}
}

// RefusedAccess records that the provider refused the stored access token while it was used
// (a 401 from its API: the user revoked access at the provider): the integration becomes
// needs_reauth, with a security-log event, so the user is asked to reconnect.
func (s *Service) RefusedAccess(ctx context.Context, userID, providerID string) error {
	p, ok := s.o.Providers.Lookup(providerID)
	if !ok {
		return nil
	}
	return s.markReauth(ctx, userID, p, "", "The provider refused the stored access token.")
}
