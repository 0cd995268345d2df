package account

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
)

// Links are the account flows proven by a link e-mailed to the user (a single-use token,
// lib/onetime): password reset, address verification and e-mail change. It wraps the Service
// rather than widening it, so the functions that only sign in link none of this.
type Links struct {
	*Service
	tokens  *onetime.Tokens
	enqueue func(context.Context, mail.Message) error
	appURL  string
	// bounces are lib/mail's bounce records (mail.Bounce, mail.ClearBounce).
	bounce   func(context.Context, string) (mail.BounceInfo, bool, error)
	unbounce func(context.Context, string) error
	// resetFloor is the least time a reset request takes, known address or not (reset.go).
	resetFloor time.Duration
}

// Token lifetimes: a reset link is a password, so it lives shortly (OWASP Forgot Password;
// ASVS 5.0 6.4.1 asks for a short expiry); proving an address is harmless and may wait a day.
const (
	resetTTL       = 30 * time.Minute
	verifyTTL      = 24 * time.Hour
	emailChangeTTL = time.Hour
)

// Limits of the link flows (docs/security.md explains the numbers).
var (
	limitResetIP      = ratelimit.Limit{Name: "reset-ip", Max: 20, Window: time.Hour, ByIP: true}
	limitResetAddress = ratelimit.Limit{Name: "reset-address", Max: 3, Window: time.Hour}
	limitResetCode    = ratelimit.Limit{Name: "reset-code", Max: 5, Window: 15 * time.Minute}
	limitVerifyUser   = ratelimit.Limit{Name: "verify-resend", Max: 5, Window: time.Hour}
	limitEmailChange  = ratelimit.Limit{Name: "email-change", Max: 5, Window: time.Hour}
	limitTokenIP      = ratelimit.Limit{Name: "token-ip", Max: 60, Window: 15 * time.Minute, ByIP: true}
)

// NewLinks returns the link flows over s, queueing mail with enqueue (mail.Enqueue) and
// linking to appURL (APP_URL).
func NewLinks(s *Service, enqueue func(context.Context, mail.Message) error, appURL string) *Links {
	return &Links{Service: s, tokens: onetime.New(s.st), enqueue: enqueue,
		appURL: strings.TrimRight(appURL, "/"), resetFloor: 400 * time.Millisecond,
		bounce: mail.Bounce, unbounce: mail.ClearBounce}
}

var links = lazy.New(func() (*Links, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("account: configuration: %w", err)
	}
	return NewLinks(s, mail.Enqueue, cfg.AppURL), nil
})

// DefaultLinks is the function instance's Links, built on first use.
func DefaultLinks() (*Links, error) { return links.Get() }

// link is the page URL a mailed token opens: APP_URL + path + ?token=.
func (l *Links) link(path, token string) string { return l.appURL + path + "?token=" + token }

// mailKey names the e-mail of one token by its hash: however often the request is retried, one
// token is one message (lib/mail's idempotency key), and the key reveals nothing of it.
func mailKey(kind, hash string) string { return kind + ":" + hash[:16] }

// securityNotice queues a security notice for a change that has committed; a failure is
// logged, not returned (notice.Logged: the change happened).
func (l *Links) securityNotice(ctx context.Context, uid, to, event, id string, n notice.Security) {
	n.Event, n.ID, n.At = event, id, l.now()
	notice.Logged(notice.New(l.enqueue, l.appURL).Security(ctx, uid, to, n))
}

// clearBounce forgets a bounce once the address is proven or replaced: mail to it works (or it
// is not the address any more). Logged, not returned: the proof has committed.
func (l *Links) clearBounce(ctx context.Context, uid string) {
	if err := l.unbounce(ctx, uid); err != nil {
		slog.Error("account: bounce not cleared", "user", uid, "err", err)
	}
}
