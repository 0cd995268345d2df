package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// The user's key index, user:{id}:keys, is how account deletion finds everything of a user
// without scanning the keyspace. Its invariant (docs/security.md, "The user's key index"):
//
//	every key of a user that has no expiry of at most MaxUnindexedTTL is in the user's index.
//
// It holds by construction, because:
//   - a key enters the index (Own) in the same transaction or script that creates it;
//   - a key leaves the index only in the same transaction that deletes it, and only if nothing
//     can recreate it afterwards without Own (a report, a session). Collection keys — the
//     user:{id}:… lists, sets and hashes — never leave it while the account lives: a write
//     racing with the removal of their last member would recreate them outside the index;
//   - a short-lived key (an OAuth state, a consent request, a session record, a pending
//     sign-in) stays out of the index, but is written with its expiry ≤ MaxUnindexedTTL in the
//     same command or transaction (SetShortLived), and every later write keeps it so. Such
//     keys are gone within the retention promise on their own, and keeping them out is what
//     stops the index from growing with spent and expired keys.

// MaxUnindexedTTL is the longest expiry a key of a user may carry and stay out of the user's
// index: the 30 days within which a deleted account is gone (security page).
const MaxUnindexedTTL = 30 * 24 * time.Hour

// SetShortLived writes a short-lived key of a user: SET with its expiry in the one command,
// so the key never exists without it, and no entry in the user's index. An expiry that is not
// in (0, MaxUnindexedTTL] becomes MaxUnindexedTTL: a key outside the index must never
// outlive the promise.
func SetShortLived(ctx context.Context, c redis.Cmdable, key string, value any, ttl time.Duration) *redis.StatusCmd {
	if ttl <= 0 || ttl > MaxUnindexedTTL {
		ttl = MaxUnindexedTTL
	}
	return c.Set(ctx, key, value, ttl)
}
