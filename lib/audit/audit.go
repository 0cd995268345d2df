// Package audit keeps each user's security log: sign-ins, failures, 2FA changes, sessions
// revoked, password changes, integrations connected or disconnected. Users read it in
// Settings › Security; it is capped so it cannot grow without bound.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Event types. They are part of the API (security-log's `type`): add, never rename.
const (
	SignIn                 = "sign_in"
	SignInFailed           = "sign_in_failed"
	SignOut                = "sign_out"
	PasswordChanged        = "password_changed"
	SessionRevoked         = "session_revoked"
	OtherSessionsRevoked   = "other_sessions_revoked"
	TOTPEnabled            = "totp_enabled"
	TOTPDisabled           = "totp_disabled"
	TOTPFailed             = "totp_failed"
	RecoveryCodeUsed       = "recovery_code_used"
	RecoveryCodesRenewed   = "recovery_codes_regenerated"
	IntegrationConnected   = "integration_connected"
	IntegrationDisconnect  = "integration_disconnected"
	IntegrationNeedsReauth = "integration_needs_reauth"
	AccountDeleted         = "account_deleted"
	// IntegrationRevokeFailed: a disconnect could not revoke at the provider (retried later).
	IntegrationRevokeFailed = "integration_revocation_failed"
	// IntegrationRevoked: a retried revocation went through after the disconnect.
	IntegrationRevoked = "integration_revoked"
	// PasswordReset: the password was set with an e-mailed reset link.
	PasswordReset = "password_reset"
	// EmailVerified: the address was proven with an e-mailed link.
	EmailVerified = "email_verified"
	// EmailChangeRequested / EmailChanged: a change of address was asked for / confirmed.
	EmailChangeRequested = "email_change_requested"
	EmailChanged         = "email_changed"
	// ShareCreated / ShareRevoked: a report's share link was created / revoked (lib/share).
	ShareCreated = "share_link_created"
	ShareRevoked = "share_link_revoked"
)

// Cap is how many events a user's log keeps, newest first.
const Cap = 200

// Event is one entry of the security log.
type Event struct {
	Type      string    `json:"type"`
	At        time.Time `json:"at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Detail    string    `json:"detail"`
}

// Log reads and writes security logs.
type Log struct {
	st  *store.Store
	now func() time.Time
}

// New returns a Log over st.
func New(st *store.Store, now func() time.Time) *Log { return &Log{st: st, now: now} }

func (l *Log) key(userID string) string { return l.st.Key("user", userID, "audit") }

// Add queues the event in p, so it commits with the change it records.
func (l *Log) Add(ctx context.Context, p redis.Pipeliner, userID, typ string, c web.Client, detail string) {
	b, _ := json.Marshal(Event{Type: typ, At: l.now().UTC().Truncate(time.Second), IP: c.IP, UserAgent: c.UserAgent, Detail: detail})
	k := l.key(userID)
	p.LPush(ctx, k, b)
	p.LTrim(ctx, k, 0, Cap-1)
	l.st.Own(ctx, p, userID, k)
}

// Record writes one event on its own.
func (l *Log) Record(ctx context.Context, userID, typ string, c web.Client, detail string) error {
	_, err := l.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		l.Add(ctx, p, userID, typ, c, detail)
		return nil
	})
	return store.Err(err)
}

// List returns the user's events, newest first.
func (l *Log) List(ctx context.Context, userID string) ([]Event, error) {
	raw, err := l.st.R.LRange(ctx, l.key(userID), 0, Cap-1).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	events := make([]Event, 0, len(raw))
	for _, r := range raw {
		var e Event
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("audit: decode event: %w", err)
		}
		events = append(events, e)
	}
	return events, nil
}
