package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/provider"
	"github.com/trymetriqs/metriqs/lib/web"
)

// RevokeJobName is the job that retries a revocation (api/jobs/revoke-token.go).
const RevokeJobName = "revoke-token"

// revokeMessage is the body of a revoke-token message. The grant travels sealed (AAD binds
// it to the user, the provider and its purpose): QStash holds it until delivery, and the
// security page promises tokens are encrypted at rest. Keep a removed TOKEN_KEYS key
// configured until QStash's retries are over, or a pending revocation cannot be opened.
type revokeMessage struct {
	UserID   string    `json:"user_id"`
	Provider string    `json:"provider"`
	Grant    string    `json:"grant"`
	Expiry   time.Time `json:"expiry,omitzero"`
	// Orphan: tokens no integration ever held (a refresh that ended after a disconnect, a
	// callback that kept nothing). Their revocation is housekeeping, not a security-log event.
	Orphan bool `json:"orphan,omitempty"`
}

// queueRevoke publishes the revocation for retry.
func (s *Service) queueRevoke(ctx context.Context, userID string, p *provider.Provider, g provider.Grant, expiry time.Time, orphan bool) error {
	plain, err := json.Marshal(g)
	if err != nil {
		return err
	}
	sealed, err := s.o.Sealer.Seal(plain, aad(userID, p.ID, "revoke_grant"))
	if err != nil {
		return err
	}
	pub, err := s.publisher()
	if err != nil {
		return err
	}
	// The same grant queued twice (a disconnect retried by the browser) is one message.
	sum := sha256.Sum256(plain)
	_, err = pub.Publish(ctx, RevokeJobName, revokeMessage{UserID: userID, Provider: p.ID, Grant: sealed, Expiry: expiry, Orphan: orphan},
		jobs.DeduplicationID("revoke-"+hex.EncodeToString(sum[:16])))
	return err
}

// RevokeJob is the work of api/jobs/revoke-token: revoke a grant a disconnect could not.
// No answer, 5xx or 429 return an error, so QStash retries; anything that cannot get better
// (unreadable message, provider no longer configured) is jobs.Permanent. A provider saying
// the token is already invalid means the goal is met.
func RevokeJob(ctx context.Context, body []byte) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.RevokeJob(ctx, body)
}

// RevokeJob runs one revoke-token message (see the package-level RevokeJob).
func (s *Service) RevokeJob(ctx context.Context, body []byte) error {
	var m revokeMessage
	if err := json.Unmarshal(body, &m); err != nil || m.UserID == "" || m.Grant == "" {
		return jobs.Permanent(fmt.Errorf("revoke-token: malformed message: %v", err))
	}
	p, err := s.o.Providers.Get(m.Provider)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("revoke-token: %w", err))
	}
	plain, err := s.o.Sealer.Open(m.Grant, aad(m.UserID, p.ID, "revoke_grant"))
	if err != nil {
		return jobs.Permanent(fmt.Errorf("revoke-token: open grant: %w", err))
	}
	var g provider.Grant
	if err := json.Unmarshal(plain, &g); err != nil {
		return jobs.Permanent(fmt.Errorf("revoke-token: decode grant: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, 3*revokeTimeout)
	defer cancel()
	live, expiry := s.liveGrant(ctx, p, g, m.Expiry)
	err = p.ForMode(live.Mode).Revoke(ctx, s.o.HTTPClient, live)
	detail := p.Name + ": revoked at the provider after the disconnect."
	switch {
	case errors.Is(err, provider.ErrRejected), errors.Is(err, provider.ErrNothingToRevoke):
		slog.Info("revoke-token: provider says the token is already invalid", "provider", p.ID, "err", err)
		detail = p.Name + ": the provider reports the access was already revoked."
	case err != nil && live != g:
		// The renewal spent this message's refresh token: a retry of it could no longer
		// renew. Queue the renewed grant instead, and let this message end.
		if qerr := s.queueRevoke(ctx, m.UserID, p, live, expiry, m.Orphan); qerr != nil {
			return fmt.Errorf("revoke-token: %w (and requeueing: %v)", err, qerr)
		}
		slog.Warn("revoke-token: failed after renewing the token; requeued with the new one", "provider", p.ID, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("revoke-token: %w", err)
	default:
		s.siblingsRevoked(ctx, m.UserID, p)
	}
	if m.Orphan {
		return nil
	}
	// A deleted account has no index any more; its security log must not come back.
	if n, err := s.o.Store.R.Exists(ctx, s.o.Store.IndexKey(m.UserID)).Result(); err == nil && n > 0 {
		if err := s.log.Record(ctx, m.UserID, audit.IntegrationRevoked, web.System, detail); err != nil {
			slog.Error("revoke-token: security log", "err", err)
		}
	}
	return nil
}
