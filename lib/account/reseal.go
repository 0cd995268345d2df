package account

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/store"
)

// totpIndexKey lists the users with 2FA on, so that cmd/reseal can bring every TOTP secret
// under the newest TOKEN_KEYS key without scanning. Disabling 2FA and closing the account
// remove the entry in the same transaction, so it never outlives the account.
func (s *Service) totpIndexKey() string { return s.st.Key("index", "totp") }

// ResealStats counts what ResealTOTP did.
type ResealStats struct {
	Checked, Resealed, Unreadable int
}

// swapSecret replaces the sealed secret only if it is still the one that was read.
var swapSecret = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'secret') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secret', ARGV[2])
return 1
`)

// ResealTOTP re-seals every TOTP secret sealed with an older key under the active one.
func (s *Service) ResealTOTP(ctx context.Context) (ResealStats, error) {
	var st ResealStats
	iter := s.st.R.SScan(ctx, s.totpIndexKey(), 0, "", 200).Iterator()
	for iter.Next(ctx) {
		uid := iter.Val()
		st.Checked++
		old, err := s.st.R.HGet(ctx, s.totpKey(uid), "secret").Result()
		if errors.Is(err, redis.Nil) {
			s.st.R.SRem(ctx, s.totpIndexKey(), uid)
			continue
		}
		if err != nil {
			return st, store.Err(err)
		}
		if !s.sealer.Stale(old) {
			continue
		}
		aad := seal.AAD(uid, "totp", "secret")
		secret, err := s.sealer.Open(old, aad)
		if err != nil {
			st.Unreadable++ // the user signs in with a recovery code and enrols again
			continue
		}
		fresh, err := s.sealer.Seal(secret, aad)
		if err != nil {
			return st, err
		}
		if err := swapSecret.Run(ctx, s.st.R, []string{s.totpKey(uid)}, old, fresh).Err(); err != nil {
			return st, store.Err(err)
		}
		st.Resealed++
	}
	return st, store.Err(iter.Err())
}
