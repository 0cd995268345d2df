package session

import (
	"context"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// A pending sign-in is the state between a correct password and a correct second factor: a
// server-side record bound to the user, single use, with few attempts, behind a cookie that
// carries no session.
const (
	PendingTimeout  = 5 * time.Minute
	PendingAttempts = 5
)

// Pending is a sign-in waiting for its second factor.
type Pending struct {
	ID     string
	UserID string
}

// GenField is the field of the user's hash (user:{id}) that counts revocations of the user's
// sign-ins. A pending sign-in records the value that the password step read with the
// password hash, and is usable only while the value has not moved: bumping it (RevokePending)
// voids every pending sign-in of the user at once, with no index of them to race with, and
// checking it adds a command to TakeAttempt's transaction, not a round trip.
const GenField = "signin_gen"

// ErrPendingExpired is the answer when there is no usable pending sign-in.
var ErrPendingExpired = problem.New(http.StatusUnauthorized, "mfa_expired", "Your sign-in has expired. Enter your password again.")

func (m *Manager) pendingKey(id string) string { return m.st.Key("mfa", id) }

// PendingCookieName is the pending sign-in cookie's name.
func (m *Manager) PendingCookieName() string {
	if m.secure {
		return "__Host-mq_mfa"
	}
	return "mq_mfa"
}

func (m *Manager) userKey(userID string) string { return m.st.Key("user", userID) }

// RevokePending queues in p the revocation of every pending sign-in of the user, including one
// whose password step is still running (it read the generation before this).
func (m *Manager) RevokePending(ctx context.Context, p redis.Pipeliner, userID string) {
	p.HIncrBy(ctx, m.userKey(userID), GenField, 1)
}

// BeginPending records a pending sign-in for userID and sets its cookie. gen is the user's
// GenField as read together with the password hash that was just checked.
func (m *Manager) BeginPending(ctx context.Context, w http.ResponseWriter, userID, gen string) error {
	now := m.now()
	p := Pending{ID: ids.New(), UserID: userID}
	token, err := Sign(m.keys, AudienceMFA, userID, p.ID, now, PendingTimeout)
	if err != nil {
		return err
	}
	k := m.pendingKey(p.ID)
	_, err = m.st.R.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HSet(ctx, k, "uid", userID, "attempts", 0, "gen", gen)
		// Expires with the same MULTI, within minutes: out of the user's index (lib/store
		// index.go), where abandoned sign-ins would pile up.
		pl.Expire(ctx, k, PendingTimeout)
		return nil
	})
	if err != nil {
		return store.Err(err)
	}
	http.SetCookie(w, &http.Cookie{Name: m.PendingCookieName(), Value: token, Path: "/", MaxAge: int(PendingTimeout / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	return nil
}

// TakeAttempt finds the request's pending sign-in and counts one attempt at it. After
// PendingAttempts attempts the pending sign-in is gone and the password must be entered again.
func (m *Manager) TakeAttempt(r *http.Request) (*Pending, error) {
	ck, err := r.Cookie(m.PendingCookieName())
	if err != nil || ck.Value == "" {
		return nil, ErrPendingExpired
	}
	claims, err := Parse(m.keys, AudienceMFA, ck.Value, m.now())
	if err != nil {
		return nil, ErrPendingExpired
	}
	ctx := r.Context()
	k := m.pendingKey(claims.SessionID)
	var uid, gen, current *redis.StringCmd
	var attempts, user *redis.IntCmd
	_, err = m.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		uid = p.HGet(ctx, k, "uid")
		gen = p.HGet(ctx, k, "gen")
		attempts = p.HIncrBy(ctx, k, "attempts", 1)
		current = p.HGet(ctx, m.userKey(claims.Subject), GenField)
		user = p.Exists(ctx, m.userKey(claims.Subject)) // a purged account has no generation left to compare
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, store.Err(err)
	}
	if uid.Val() == "" || uid.Val() != claims.Subject {
		m.st.R.Del(ctx, k) // HINCRBY made a stub record for an unknown id
		return nil, ErrPendingExpired
	}
	if attempts.Val() > PendingAttempts || gen.Val() != current.Val() || user.Val() == 0 {
		m.dropPending(ctx, claims.Subject, claims.SessionID)
		return nil, ErrPendingExpired
	}
	return &Pending{ID: claims.SessionID, UserID: claims.Subject}, nil
}

// FinishPending consumes the pending sign-in: of two requests racing with valid codes, only
// one gets true.
func (m *Manager) FinishPending(ctx context.Context, w http.ResponseWriter, p *Pending) (bool, error) {
	n, err := m.dropPending(ctx, p.UserID, p.ID)
	if err != nil {
		return false, err
	}
	http.SetCookie(w, &http.Cookie{Name: m.PendingCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	return n == 1, nil
}

// dropPending deletes a pending sign-in and its entry in the user's index, and reports
// whether it was still there.
func (m *Manager) dropPending(ctx context.Context, userID, id string) (int64, error) {
	var del *redis.IntCmd
	_, err := m.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, m.pendingKey(id))
		p.SRem(ctx, m.st.IndexKey(userID), m.pendingKey(id))
		return nil
	})
	if err != nil {
		return 0, store.Err(err)
	}
	return del.Val(), nil
}
