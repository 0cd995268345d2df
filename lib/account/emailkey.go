package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// emailKeys are the names an address's lookup key (e-mail → user id) may have, the one new
// keys get first: email:{key id}:{HMAC-SHA256(key, address)[:16]} under each EMAIL_KEYS key,
// newest first, then the legacy email:{SHA-256(address)[:16]}. A plain hash let anyone who can
// read Redis test a list of addresses against the key names; the keyed one does not, without
// the key (which lives only in the environment). The key id in the name tells a migration
// which key made it.
func (s *Service) emailKeys(email string) []string {
	names := make([]string, 0, len(s.emailRing)+1)
	for _, k := range s.emailRing {
		mac := hmac.New(sha256.New, k.Secret)
		mac.Write([]byte(email))
		names = append(names, s.st.Key("email", k.ID, hex.EncodeToString(mac.Sum(nil)[:16])))
	}
	legacy := sha256.Sum256([]byte(email))
	return append(names, s.st.Key("email", hex.EncodeToString(legacy[:16])))
}

// emailKey is where an address is stored from now on: under the newest key.
func (s *Service) emailKey(email string) string { return s.emailKeys(email)[0] }

// findEmail returns the id of the account with this address, looking under every name it may
// have in one round trip (MGET), and moves a name made by an older key (or the legacy hash)
// to the newest key. Names are only ever created under the newest key, so once findEmail has
// seen none, none can appear elsewhere: signup's SET NX on the newest name stays the one arbiter.
func (s *Service) findEmail(ctx context.Context, email string) (string, error) {
	names := s.emailKeys(email)
	vals, err := s.st.R.MGet(ctx, names...).Result()
	if err != nil {
		return "", store.Err(err)
	}
	for i, v := range vals {
		if id, ok := v.(string); ok && id != "" {
			if i > 0 {
				s.moveEmailKey(ctx, names[i], names[0], id)
			}
			return id, nil
		}
	}
	return "", store.ErrNotFound
}

// moveEmailKey renames from to to, and swaps the two in the user's key index, in one
// transaction, only while from still maps to id and to does not exist (WATCH): never two
// names for an address, never none, never a name outside the index. Best effort: a lost race
// means someone else moved or removed it, and the next lookup sees that.
func (s *Service) moveEmailKey(ctx context.Context, from, to, id string) {
	_ = s.st.R.Watch(ctx, func(tx *redis.Tx) error {
		cur, err := tx.Get(ctx, from).Result()
		if err != nil || cur != id || tx.Exists(ctx, to).Val() != 0 {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Rename(ctx, from, to)
			p.SRem(ctx, s.st.IndexKey(id), from)
			p.SAdd(ctx, s.st.IndexKey(id), to)
			return nil
		})
		return err
	}, from, to)
}

// EmailRekeyStats counts what RekeyEmails did.
type EmailRekeyStats struct {
	Checked, Moved, Orphaned int
}

// RekeyEmails moves every lookup key not made by the newest EMAIL_KEYS key (legacy SHA-256
// names, names of an older key) under it, so that an older key can be removed from the ring
// and the legacy fallback never needed again (cmd/reseal). It scans email:* only — names
// that reveal nothing — and finds each address in the user record the name points to. A name
// whose user is gone or whose address does not hash to it is counted as orphaned and left.
func (s *Service) RekeyEmails(ctx context.Context) (EmailRekeyStats, error) {
	var st EmailRekeyStats
	current := s.st.Key("email", s.emailRing.Active().ID) + ":"
	iter := s.st.R.Scan(ctx, 0, s.st.Key("email", "*"), 500).Iterator()
	for iter.Next(ctx) {
		name := iter.Val()
		if strings.HasPrefix(name, current) {
			continue
		}
		st.Checked++
		moved, err := s.rekeyOne(ctx, name)
		if err != nil {
			return st, err
		}
		if moved {
			st.Moved++
		} else {
			st.Orphaned++
		}
	}
	return st, store.Err(iter.Err())
}

// rekeyOne moves one old name under the newest key, through findEmail's own move.
func (s *Service) rekeyOne(ctx context.Context, name string) (bool, error) {
	id, err := s.st.R.Get(ctx, name).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	} else if err != nil {
		return false, store.Err(err)
	}
	email, err := s.st.R.HGet(ctx, s.userKey(id), fEmail).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, store.Err(err)
	}
	names := s.emailKeys(email)
	if email == "" || !slices.Contains(names[1:], name) {
		return false, nil
	}
	s.moveEmailKey(ctx, name, names[0], id)
	return s.st.R.Exists(ctx, names[0]).Val() == 1, nil
}
