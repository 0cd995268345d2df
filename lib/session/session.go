// Package session signs users in and keeps them signed in: a short HS256 JWT in an HttpOnly,
// Secure, SameSite=Lax cookie names a server-side record in Redis, so that sign-out, "sign out
// other sessions", a password change or account deletion take effect at once. Checking a
// request costs one Redis round trip.
package session

import (
	"context"
	"errors"
	"fmt"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Lifetimes (docs/security.md). A session ends after IdleTimeout without a request, and in
// any case AbsoluteTimeout after sign-in, when the user must sign in again (ASVS 3.3).
const (
	IdleTimeout     = 72 * time.Hour
	AbsoluteTimeout = 14 * 24 * time.Hour
)

// Session is an authenticated request's session.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
	// MFA records whether the sign-in passed a second factor.
	MFA bool
}

// Manager creates, checks and ends sessions.
type Manager struct {
	st     *store.Store
	keys   config.KeyRing
	secure bool // production: the cookie is named __Host-…
	now    func() time.Time
}

// NewManager returns a Manager. In production (prodCookie) the cookie takes the __Host- prefix,
// which browsers only accept Secure, host-only and with Path=/.
func NewManager(st *store.Store, keys config.KeyRing, prodCookie bool, now func() time.Time) *Manager {
	return &Manager{st: st, keys: keys, secure: prodCookie, now: now}
}

var instance = lazy.New(func() (*Manager, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	return NewManager(st, cfg.SessionKeys, !cfg.Dev, time.Now), nil
})

// Default is the function instance's Manager, built from the environment on first use.
func Default() (*Manager, error) { return instance.Get() }

// Store is the store the manager writes to.
func (m *Manager) Store() *store.Store { return m.st }

// Now is the manager's clock.
func (m *Manager) Now() time.Time { return m.now() }

func (m *Manager) recordKey(sid string) string   { return m.st.Key("sess", sid) }
func (m *Manager) listKey(userID string) string  { return m.st.Key("user", userID, "sessions") }
func (m *Manager) usageKey(userID string) string { return m.st.Key("user", userID, "usage") }
func usageField(t time.Time) string              { return t.UTC().Format("2006-01") + ":api" }

// CookieName is the session cookie's name.
func (m *Manager) CookieName() string {
	if m.secure {
		return "__Host-mq_session"
	}
	return "mq_session"
}

// Create starts a session for userID, stores its record and sets the cookie on w.
func (m *Manager) Create(ctx context.Context, w http.ResponseWriter, userID string, c web.Client, mfa bool) (*Session, error) {
	now := m.now().UTC().Truncate(time.Second)
	s := &Session{ID: ids.New(), UserID: userID, CreatedAt: now, LastSeenAt: now, IP: c.IP, UserAgent: c.UserAgent, MFA: mfa}
	token, err := Sign(m.keys, AudienceSession, userID, s.ID, now, AbsoluteTimeout)
	if err != nil {
		return nil, err
	}
	rk, lk := m.recordKey(s.ID), m.listKey(userID)
	_, err = m.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, rk, map[string]any{
			"uid": userID, "created": now.Unix(), "seen": now.Unix(), "exp": now.Add(AbsoluteTimeout).Unix(),
			"ip": c.IP, "ua": c.UserAgent, "mfa": strconv.FormatBool(mfa),
		})
		p.Expire(ctx, rk, IdleTimeout)
		p.SAdd(ctx, lk, s.ID)
		// The record always expires within IdleTimeout, so it stays out of the user's index
		// (lib/store index.go); the list and the usage counter are collection keys.
		m.st.Own(ctx, p, userID, lk, m.usageKey(userID))
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	m.setCookie(w, token, AbsoluteTimeout)
	return s, nil
}

// authenticate loads the record, checks it belongs to the token's user and has not passed its
// absolute end, slides the idle expiry, stamps last-seen and counts the request in the user's
// monthly usage — atomically, in one round trip. It returns nil for no valid session.
var authenticate = redis.NewScript(`
local s = redis.call('HGETALL', KEYS[1])
if #s == 0 then return false end
local f = {}
for i = 1, #s, 2 do f[s[i]] = s[i + 1] end
if f['uid'] ~= ARGV[4] then return false end
local now = tonumber(ARGV[1])
local exp = tonumber(f['exp'])
if exp == nil or exp <= now then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('EXPIRE', KEYS[1], math.min(tonumber(ARGV[2]), exp - now))
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return s
`)

// Authenticate returns the request's session, or a 401 problem.
func (m *Manager) Authenticate(r *http.Request) (*Session, error) {
	ck, err := r.Cookie(m.CookieName())
	if err != nil || ck.Value == "" {
		return nil, problem.Unauthenticated("Sign in to continue.")
	}
	now := m.now()
	claims, err := Parse(m.keys, AudienceSession, ck.Value, now)
	if err != nil {
		return nil, problem.Unauthenticated("Your session is not valid. Sign in again.")
	}
	// EVAL (not EVALSHA) keeps this at exactly one round trip, even on a cold instance.
	raw, err := authenticate.Eval(r.Context(), m.st.R,
		[]string{m.recordKey(claims.SessionID), m.usageKey(claims.Subject)},
		now.Unix(), int64(IdleTimeout/time.Second), usageField(now), claims.Subject).StringSlice()
	if errors.Is(err, redis.Nil) {
		return nil, problem.Unauthenticated("Your session has ended. Sign in again.")
	}
	if err != nil {
		return nil, store.Err(err)
	}
	s := fromFields(claims.SessionID, pairs(raw))
	s.LastSeenAt = now.UTC().Truncate(time.Second)
	return s, nil
}

func pairs(raw []string) map[string]string {
	f := make(map[string]string, len(raw)/2)
	for i := 0; i+1 < len(raw); i += 2 {
		f[raw[i]] = raw[i+1]
	}
	return f
}

func fromFields(id string, f map[string]string) *Session {
	unix := func(k string) time.Time {
		n, _ := strconv.ParseInt(f[k], 10, 64)
		return time.Unix(n, 0).UTC()
	}
	return &Session{ID: id, UserID: f["uid"], CreatedAt: unix("created"), LastSeenAt: unix("seen"),
		IP: f["ip"], UserAgent: f["ua"], MFA: f["mfa"] == "true"}
}

// List returns the user's live sessions, newest first, forgetting any that have expired.
func (m *Manager) List(ctx context.Context, userID string) ([]*Session, error) {
	sids, err := m.st.R.SMembers(ctx, m.listKey(userID)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(sids))
	_, err = m.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, sid := range sids {
			cmds[i] = p.HGetAll(ctx, m.recordKey(sid))
		}
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	var live []*Session
	var gone []any
	for i, c := range cmds {
		if f := c.Val(); len(f) > 0 && f["uid"] == userID {
			live = append(live, fromFields(sids[i], f))
		} else {
			gone = append(gone, sids[i])
		}
	}
	if len(gone) > 0 {
		if err := m.st.R.SRem(ctx, m.listKey(userID), gone...).Err(); err != nil {
			return nil, store.Err(err)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].CreatedAt.After(live[j].CreatedAt) })
	return live, nil
}

// ErrNoSuchSession is Revoke's answer for an id that is not one of the user's sessions.
var ErrNoSuchSession = problem.NotFound("No such session.")

// Revoke ends one of the user's sessions.
func (m *Manager) Revoke(ctx context.Context, userID, sid string) error {
	owner, err := m.st.R.HGet(ctx, m.recordKey(sid), "uid").Result()
	if err = store.Err(err); errors.Is(err, store.ErrNotFound) || (err == nil && owner != userID) {
		return ErrNoSuchSession
	} else if err != nil {
		return err
	}
	return m.remove(ctx, userID, []string{sid}, false)
}

// RevokeAll ends every session of the user except keep (empty: all of them), and every
// pending sign-in, and returns how many sessions it ended.
func (m *Manager) RevokeAll(ctx context.Context, userID, keep string) (int, error) {
	sids, err := m.st.R.SMembers(ctx, m.listKey(userID)).Result()
	if err != nil {
		return 0, store.Err(err)
	}
	var end []string
	for _, sid := range sids {
		if sid != keep {
			end = append(end, sid)
		}
	}
	return len(end), m.remove(ctx, userID, end, true)
}

// remove ends the sessions sids and, with pending, the user's pending sign-ins, in one
// transaction.
func (m *Manager) remove(ctx context.Context, userID string, sids []string, pending bool) error {
	if len(sids) == 0 && !pending {
		return nil
	}
	_, err := m.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, sid := range sids {
			p.Del(ctx, m.recordKey(sid))
			p.SRem(ctx, m.listKey(userID), sid)
			p.SRem(ctx, m.st.IndexKey(userID), m.recordKey(sid))
		}
		if pending {
			m.RevokePending(ctx, p, userID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("session: revoke: %w", store.Err(err))
	}
	return nil
}

func (m *Manager) setCookie(w http.ResponseWriter, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: m.CookieName(), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie tells the browser to drop the session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: m.CookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}
