package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/store"
)

// ConnectLimit bounds how many authorizations a user can start: each one leaves a pending
// state in Redis for ten minutes. Exported for lib/deletion, which purges a deleted user's
// counter.
var ConnectLimit = ratelimit.Limit{Name: "connect-user", Max: 30, Window: 10 * time.Minute}

// ConnectInput is the body of POST /api/integrations/connect.
type ConnectInput struct {
	Provider string `json:"provider"`
	// Mode is "test" for a Stripe install in test mode (or a sandbox), where this
	// deployment has a test key; "" or "live" otherwise.
	Mode string `json:"mode,omitempty"`
}

// ConnectResult is its answer.
type ConnectResult struct {
	AuthorizeURL string `json:"authorize_url"`
}

// pending is what the state parameter stands for, kept server-side until the callback.
type pending struct {
	UserID   string `json:"uid"`
	Provider string `json:"provider"`
	Verifier string `json:"verifier,omitempty"` // sealed PKCE code verifier
	// Mode is the Stripe mode asked for: the state carries it to the callback, whose
	// exchange needs that mode's key (Stripe Apps OAuth).
	Mode    string    `json:"mode,omitempty"`
	Created time.Time `json:"created"`
}

// Connect starts an authorization: a state of 32 random bytes, stored (as its hash) with
// the user, the provider and the PKCE verifier for ten minutes, and the provider's
// authorization URL carrying the state and the verifier's S256 challenge.
func (s *Service) Connect(ctx context.Context, userID string, in ConnectInput) (*ConnectResult, error) {
	p, err := s.configured(in.Provider)
	if err != nil {
		return nil, err
	}
	mode, err := connectMode(p, in.Mode)
	if err != nil {
		return nil, err
	}
	if err := s.roomFor(ctx, userID, p.ID); err != nil {
		return nil, err
	}
	if err := s.limits.Allow(ctx, ConnectLimit, userID); err != nil {
		return nil, err
	}
	state := ids.Token(32)
	pd := pending{UserID: userID, Provider: p.ID, Mode: mode, Created: s.o.Now().UTC()}
	verifier := ""
	if p.PKCE {
		verifier = oauth2.GenerateVerifier()
		if pd.Verifier, err = s.o.Sealer.Seal([]byte(verifier), aad(userID, p.ID, "pkce_verifier")); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(pd)
	if err != nil {
		return nil, err
	}
	key := s.stateKey(state)
	_, err = s.o.Store.R.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		// Short-lived and single-use: out of the user's index (lib/store index.go).
		store.SetShortLived(ctx, pl, key, b, stateTTL)
		return nil
	})
	if err != nil {
		return nil, store.Err(fmt.Errorf("integration: store state: %w", err))
	}
	return &ConnectResult{AuthorizeURL: p.AuthCodeURL(s.redirectURI(), state, verifier)}, nil
}

// connectMode checks the mode asked for: test only where p has a test key (Stripe).
func connectMode(p *provider.Provider, mode string) (string, error) {
	switch {
	case mode == "" || mode == "live":
		return provider.ModeLive, nil
	case mode == provider.ModeTest && p.HasTestMode():
		return provider.ModeTest, nil
	}
	return "", problem.Unprocessable("invalid_mode", "mode", p.Name+` has no test mode here: use "live", or leave mode out.`)
}

// stateKey stores a state by its SHA-256: what is in Redis cannot be replayed as a state.
func (s *Service) stateKey(state string) string {
	sum := sha256.Sum256([]byte(state))
	return s.o.Store.Key("oauthstate", hex.EncodeToString(sum[:]))
}

// errBadState covers a missing, unknown, expired, reused or other user's state: the
// callback says the same for each.
var errBadState = errors.New("integration: invalid state")

// takeState consumes a state (GETDEL: a second callback with it finds nothing) and returns
// what it stands for, with the PKCE verifier opened. A state issued to another user is
// consumed too, and refused.
func (s *Service) takeState(ctx context.Context, userID, state string) (*pending, string, error) {
	if len(state) != 43 { // 32 bytes, base64url without padding
		return nil, "", errBadState
	}
	raw, err := s.o.Store.R.GetDel(ctx, s.stateKey(state)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, "", errBadState
	}
	if err != nil {
		return nil, "", store.Err(fmt.Errorf("integration: take state: %w", err))
	}
	var pd pending
	if err := json.Unmarshal(raw, &pd); err != nil || pd.UserID != userID || s.o.Now().Sub(pd.Created) > stateTTL {
		return nil, "", errBadState
	}
	verifier := ""
	if pd.Verifier != "" {
		v, err := s.o.Sealer.Open(pd.Verifier, aad(userID, pd.Provider, "pkce_verifier"))
		if err != nil {
			return nil, "", fmt.Errorf("%w: verifier: %v", errBadState, err)
		}
		verifier = string(v)
	}
	return &pd, verifier, nil
}
