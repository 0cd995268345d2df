// Package onetime issues the single-use secrets that Metriqs e-mails in links: password reset,
// address verification, e-mail change. A token is 32 random bytes (lib/ids) shown to the user
// once; Redis holds only its SHA-256, so a copy of the database holds no usable link
// (ASVS 5.0 6.4.1 / OWASP Forgot Password: "store tokens hashed").
//
// Each purpose keeps one live token per user: issuing a new one voids the older one (the pointer
// user:{id}:token:{purpose} names the newest). Both keys are short-lived (store.SetShortLived):
// they expire by themselves within the retention promise and stay out of the user's key index.
package onetime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Purpose separates the kinds of token: one kind never spends as another.
type Purpose string

// The purposes in use.
const (
	PasswordReset Purpose = "reset"
	VerifyEmail   Purpose = "verify"
	ChangeEmail   Purpose = "email"
)

// tokenBytes is the token's entropy: 256 bits, far past guessing within any TTL.
const tokenBytes = 32

// ErrInvalid is the one answer for an unknown, expired, spent, superseded or tampered token:
// which of them it was helps no one but an attacker.
var ErrInvalid = problem.New(http.StatusBadRequest, "invalid_token", "This link is invalid or has expired. Ask for a new one.")

// Claim is what a live token stands for.
type Claim struct {
	UserID string            `json:"user_id"`
	Data   map[string]string `json:"data,omitempty"`
	// Hash names the token (its SHA-256, hex) without revealing it: a key for the e-mail and
	// for a one-winner transaction.
	Hash string `json:"-"`
}

// Tokens issues and spends tokens in a store.
type Tokens struct{ st *store.Store }

// New returns Tokens over st.
func New(st *store.Store) *Tokens { return &Tokens{st: st} }

// Hash is the stored name of a token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Key is where the claim of the token with this hash lives.
func (t *Tokens) Key(p Purpose, hash string) string { return t.st.Key("token", string(p), hash) }

// PointerKey names the user's newest token of purpose p.
func (t *Tokens) PointerKey(p Purpose, userID string) string {
	return t.st.Key("user", userID, "token", string(p))
}

// Purposes are every purpose, for finding all of a user's live tokens.
var Purposes = []Purpose{PasswordReset, VerifyEmail, ChangeEmail}

// KeysOf names the user's live tokens (each purpose's pointer and the claim it points to), so
// that account deletion removes them at once rather than leaving links live until they expire.
func (t *Tokens) KeysOf(ctx context.Context, userID string) ([]string, error) {
	var keys []string
	for _, p := range Purposes {
		ptr := t.PointerKey(p, userID)
		hash, err := t.st.R.Get(ctx, ptr).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("onetime: read newest %s token: %w", p, store.Err(err))
		}
		keys = append(keys, ptr)
		if hash != "" {
			keys = append(keys, t.Key(p, hash))
		}
	}
	return keys, nil
}

// Issue makes a token for c.UserID, valid for ttl, and voids the user's previous one of p (its
// claim is deleted in the same transaction; one issued in parallel is voided by the pointer,
// which Peek checks).
func (t *Tokens) Issue(ctx context.Context, p Purpose, c Claim, ttl time.Duration) (token string, hash string, err error) {
	token = ids.Token(tokenBytes)
	hash = Hash(token)
	raw, err := json.Marshal(c)
	if err != nil {
		return "", "", fmt.Errorf("onetime: encode claim: %w", err)
	}
	ptr := t.PointerKey(p, c.UserID)
	old, err := t.st.R.Get(ctx, ptr).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", "", fmt.Errorf("onetime: read newest %s token: %w", p, store.Err(err))
	}
	_, err = t.st.R.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		if old != "" {
			pl.Del(ctx, t.Key(p, old))
		}
		store.SetShortLived(ctx, pl, t.Key(p, hash), raw, ttl)
		store.SetShortLived(ctx, pl, ptr, hash, ttl)
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("onetime: store %s token: %w", p, store.Err(err))
	}
	return token, hash, nil
}

// Peek returns the claim of a live token without spending it: for the checks that must not
// spend it when they fail (a wrong second factor). ErrInvalid when it is not live.
func (t *Tokens) Peek(ctx context.Context, p Purpose, token string) (*Claim, error) {
	return t.peek(ctx, t.st.R, p, token)
}

// peek reads through c: inside a WATCH, the watched connection itself, so that a burst of
// redemptions never waits for a second connection from the pool while holding one.
func (t *Tokens) peek(ctx context.Context, c redis.Cmdable, p Purpose, token string) (*Claim, error) {
	if len(token) < 16 || len(token) > 128 {
		return nil, ErrInvalid
	}
	hash := Hash(token)
	vals, err := c.MGet(ctx, t.Key(p, hash)).Result()
	if err != nil {
		return nil, fmt.Errorf("onetime: read %s token: %w", p, store.Err(err))
	}
	raw, ok := vals[0].(string)
	if !ok {
		return nil, ErrInvalid
	}
	var cl Claim
	if err := json.Unmarshal([]byte(raw), &cl); err != nil || cl.UserID == "" {
		return nil, ErrInvalid
	}
	cl.Hash = hash
	newest, err := c.Get(ctx, t.PointerKey(p, cl.UserID)).Result()
	if err != nil || newest != hash {
		return nil, ErrInvalid
	}
	return &cl, nil
}

// Spend queues in pl, a MULTI whose caller WATCHes Key(p, c.Hash) since its Peek, the removal
// of the token and of its pointer: of any number of parallel spends, only the transaction that
// still sees the token commits; every other one fails its WATCH and, peeking again, finds
// nothing (ErrInvalid).
func (t *Tokens) Spend(ctx context.Context, pl redis.Pipeliner, p Purpose, c *Claim) {
	pl.Del(ctx, t.Key(p, c.Hash), t.PointerKey(p, c.UserID))
}

// Redeem spends a token and commits apply in the same transaction, exactly once: check runs
// (inside the WATCH, with the claim) before the MULTI and may refuse; apply adds the change.
// watch names further keys whose change must send the attempt round again.
func (t *Tokens) Redeem(ctx context.Context, p Purpose, token string, watch []string, check func(*redis.Tx, *Claim) error, apply func(redis.Pipeliner, *Claim)) (*Claim, error) {
	hash := Hash(token)
	var spent *Claim
	attempt := func(tx *redis.Tx) error {
		c, err := t.peek(ctx, tx, p, token)
		if err != nil {
			return err
		}
		if err := check(tx, c); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(pl redis.Pipeliner) error {
			t.Spend(ctx, pl, p, c)
			apply(pl, c)
			return nil
		})
		spent = c
		return err
	}
	keys := append([]string{t.Key(p, hash)}, watch...)
	for range 5 {
		err := t.st.R.Watch(ctx, attempt, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil {
				return nil, storeOr(err)
			}
			return spent, nil
		}
	}
	return nil, ErrInvalid
}

// storeOr keeps a problem as it is and wraps a storage error.
func storeOr(err error) error {
	if _, ok := problem.As(err); ok {
		return err
	}
	return fmt.Errorf("onetime: redeem: %w", store.Err(err))
}
