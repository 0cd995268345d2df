package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// UnsubscribePath is the one-click unsubscribe endpoint (RFC 8058): the List-Unsubscribe URL
// of every report e-mail, ?token=T.
const UnsubscribePath = "/api/unsubscribe"

// ErrBadToken answers an unknown unsubscribe token (the same for every kind of wrong).
var ErrBadToken = problem.NotFound("This unsubscribe link is not valid (it may belong to a deleted schedule or account).")

// tokenRecord is what an unsubscribe token stands for. The token itself is never stored:
// its SHA-256 names the record, so a Redis reader cannot unsubscribe anyone.
type tokenRecord struct {
	UserID     string `json:"uid"`
	ScheduleID string `json:"sid"`
	Email      string `json:"email"`
}

// Unsubscription is an address that left a schedule, for the owner's page.
type Unsubscription struct {
	Email string    `json:"email"`
	At    time.Time `json:"at"`
}

// newToken makes an unsubscribe token for (schedule, address): 32 random bytes (RFC 8058
// asks for a URL no one can guess, since the POST carries no cookie), only its hash stored,
// in the user's index so that it dies with the account.
func (s *Service) newToken(ctx context.Context, uid, sid, addr string) (string, error) {
	token := ids.Token(32)
	b, _ := json.Marshal(tokenRecord{UserID: uid, ScheduleID: sid, Email: addr})
	k := s.tokenKey(hashToken(token))
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k, b, 0)
		s.st.Own(ctx, p, uid, k)
		return nil
	})
	return token, store.Err(err)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// Lookup returns who a token unsubscribes (the confirm page shows the address) and whether
// they already did.
func (s *Service) Lookup(ctx context.Context, token string) (addr string, done bool, err error) {
	rec, err := s.resolve(ctx, token)
	if err != nil {
		return "", false, err
	}
	done, err = s.st.R.HExists(ctx, s.unsubKey(rec.UserID, rec.ScheduleID), rec.Email).Result()
	return rec.Email, done, store.Err(err)
}

func (s *Service) resolve(ctx context.Context, token string) (*tokenRecord, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, ErrBadToken
	}
	raw, err := s.st.R.Get(ctx, s.tokenKey(hashToken(token))).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, store.Err(err)
	}
	var rec tokenRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return nil, ErrBadToken
	}
	return &rec, nil
}

// Unsubscribe stops the token's schedule for its address at once: every later run skips it
// (and shows it as unsubscribed). Unsubscribing twice is the same as once.
func (s *Service) Unsubscribe(ctx context.Context, token string) (string, error) {
	rec, err := s.resolve(ctx, token)
	if err != nil {
		return "", err
	}
	k := s.unsubKey(rec.UserID, rec.ScheduleID)
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, k, rec.Email, s.now().UTC().Format(time.RFC3339))
		s.st.Own(ctx, p, rec.UserID, k)
		return nil
	})
	return rec.Email, store.Err(err)
}

// Unsubscribed lists who left the schedule, oldest first.
func (s *Service) Unsubscribed(ctx context.Context, uid, sid string) ([]Unsubscription, error) {
	all, err := s.st.R.HGetAll(ctx, s.unsubKey(uid, sid)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Unsubscription, 0, len(all))
	for addr, at := range all {
		t, _ := time.Parse(time.RFC3339, at)
		out = append(out, Unsubscription{Email: addr, At: t})
	}
	sortUnsub(out)
	return out, nil
}
