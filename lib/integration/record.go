package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Statuses of an integration, as API.md lists them.
const (
	StatusConnected    = "connected"
	StatusDisconnected = "disconnected"
	StatusNeedsReauth  = "needs_reauth"
)

// Fields of the integration hash integ:{user}:{provider}. access and refresh are sealed
// (AES-256-GCM, AAD = user, provider, field); nothing else in it is secret.
const (
	fStatus      = "status"
	fAccount     = "account"
	fAccountID   = "account_id"
	fScopes      = "scopes"
	fConnectedAt = "connected_at"
	fAccess      = "access_token"
	fRefresh     = "refresh_token"
	fTokenType   = "token_type"
	fExpiry      = "expiry"
	fIssuedAt    = "issued_at"
	fSelection   = "selection"
	fReason      = "reason"
	// fGen is a random id per connect: a refresh or a choice that finishes after the user
	// disconnected and connected again must not write into the new integration.
	fGen = "gen"
	// fMode is the Stripe mode of the install (provider.ModeTest, or "" for live): its
	// refreshes and its deauthorization use that mode's key.
	fMode = "mode"
)

// record is one user's connection to one provider.
type record struct {
	Status      string
	Account     string
	AccountID   string
	Scopes      []string
	ConnectedAt time.Time
	Access      string // sealed
	Refresh     string // sealed
	TokenType   string
	Expiry      time.Time // zero: the token does not expire
	IssuedAt    time.Time
	Selection   []provider.Choice
	Reason      string
	Gen         string
	Mode        string
}

// recordKey is integ:{user}:{provider}.
func (s *Service) recordKey(userID, providerID string) string {
	return s.o.Store.Key("integ", userID, providerID)
}

// lockKey is the refresh lock of one integration.
func (s *Service) lockKey(userID, providerID string) string {
	return s.o.Store.Key("integ", userID, providerID, "lock")
}

// indexKey is the set of every integration ("{user}:{provider}"), so that re-sealing under
// a new key finds every token without scanning the keyspace.
func (s *Service) indexKey() string { return s.o.Store.Key("index", "integrations") }

func indexMember(userID, providerID string) string { return userID + ":" + providerID }

// load reads an integration; ErrNotConnected when there is none.
func (s *Service) load(ctx context.Context, userID, providerID string) (*record, error) {
	f, err := s.o.Store.R.HGetAll(ctx, s.recordKey(userID, providerID)).Result()
	if err != nil {
		return nil, store.Err(fmt.Errorf("integration: load %s: %w", providerID, err))
	}
	if len(f) == 0 {
		return nil, ErrNotConnected
	}
	return parseRecord(f), nil
}

func parseRecord(f map[string]string) *record {
	r := &record{
		Status: f[fStatus], Account: f[fAccount], AccountID: f[fAccountID], Scopes: strings.Fields(f[fScopes]),
		Access: f[fAccess], Refresh: f[fRefresh], TokenType: f[fTokenType], Reason: f[fReason], Gen: f[fGen], Mode: f[fMode],
	}
	r.ConnectedAt, _ = time.Parse(time.RFC3339, f[fConnectedAt])
	r.Expiry, _ = time.Parse(time.RFC3339Nano, f[fExpiry])
	r.IssuedAt, _ = time.Parse(time.RFC3339Nano, f[fIssuedAt])
	if f[fSelection] != "" {
		_ = json.Unmarshal([]byte(f[fSelection]), &r.Selection)
	}
	return r
}

// aad binds a sealed value to its user, provider and field.
func aad(userID, providerID, field string) string { return seal.AAD(userID, providerID, field) }

// tokenFields seals t for the record: the fields a connect or a refresh writes.
func (s *Service) tokenFields(userID, providerID string, t *oauth2.Token) (map[string]any, error) {
	access, err := s.o.Sealer.Seal([]byte(t.AccessToken), aad(userID, providerID, fAccess))
	if err != nil {
		return nil, err
	}
	f := map[string]any{
		fAccess: access, fTokenType: t.Type(), fIssuedAt: s.o.Now().UTC().Format(time.RFC3339Nano), fExpiry: "",
	}
	if !t.Expiry.IsZero() {
		f[fExpiry] = t.Expiry.UTC().Format(time.RFC3339Nano)
	}
	if t.RefreshToken != "" {
		if f[fRefresh], err = s.o.Sealer.Seal([]byte(t.RefreshToken), aad(userID, providerID, fRefresh)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// open unseals the record's tokens. An error wraps seal.ErrUnknownKey or seal.ErrCorrupt:
// the value was sealed with a key no longer configured, or is truncated, altered or
// copied from another record.
func (s *Service) open(userID, providerID string, r *record) (*oauth2.Token, error) {
	if r.Access == "" {
		return nil, fmt.Errorf("%w: no access token stored", seal.ErrCorrupt)
	}
	access, err := s.o.Sealer.Open(r.Access, aad(userID, providerID, fAccess))
	if err != nil {
		return nil, fmt.Errorf("integration: open %s access token: %w", providerID, err)
	}
	t := &oauth2.Token{AccessToken: string(access), TokenType: r.TokenType, Expiry: r.Expiry}
	if r.Refresh != "" {
		refresh, err := s.o.Sealer.Open(r.Refresh, aad(userID, providerID, fRefresh))
		if err != nil {
			return nil, fmt.Errorf("integration: open %s refresh token: %w", providerID, err)
		}
		t.RefreshToken = string(refresh)
	}
	return t, nil
}

// unreadable reports whether err means stored ciphertext can no longer be opened.
func unreadable(err error) bool {
	return errors.Is(err, seal.ErrUnknownKey) || errors.Is(err, seal.ErrCorrupt)
}

// updateScript writes fields (ARGV[2…]) to an integration that is still the one of
// generation ARGV[1]: a refresh or a choice finishing after a disconnect must not bring back
// a half record outside the user's index, nor write into a newer connection. It answers 1
// when written, 0 when the integration is gone, -1 when it was replaced.
var updateScript = redis.NewScript(`
local gen = redis.call('HGET', KEYS[1], 'gen')
if not gen then return 0 end
if gen ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`)

// errReplaced: the integration was connected again meanwhile.
var errReplaced = fmt.Errorf("%w: connected again meanwhile", ErrNotConnected)

// update writes fields to the integration of generation gen; ErrNotConnected when it is
// gone, errReplaced (which wraps it) when it was connected again.
func (s *Service) update(ctx context.Context, userID, providerID, gen string, fields map[string]any) error {
	args := make([]any, 0, 1+2*len(fields))
	args = append(args, gen)
	for k, v := range fields {
		args = append(args, k, v)
	}
	n, err := updateScript.Run(ctx, s.o.Store.R, []string{s.recordKey(userID, providerID)}, args...).Int()
	if err != nil {
		return store.Err(fmt.Errorf("integration: update %s: %w", providerID, err))
	}
	switch n {
	case 0:
		return ErrNotConnected
	case -1:
		return errReplaced
	}
	return nil
}
