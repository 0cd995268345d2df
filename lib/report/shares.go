package report

import (
	"context"
	"fmt"

	"github.com/trymetriqs/metriqs/lib/store"
)

// The layout of a report's share links lives here, beside the report, because the report's
// deletion removes them and lib/share imports this package (not the other way round).

// ShareKeys are where lib/share keeps the report's share links (a hash of link records) and
// their view counts (a hash of counters).
func ShareKeys(st *store.Store, id string) (links, views string) {
	return st.Key("report", id, "shares"), st.Key("report", id, "share-views")
}

// SharePointerKey maps a link id to its owner and report ("{user id}/{report id}"): what a
// token is looked up by.
func SharePointerKey(st *store.Store, linkID string) string { return st.Key("share", linkID) }

// SharesMadeKey is the set of links the user made themselves ("{report}:{link}"), which the
// plan's share_links limit counts (lib/share MadeKey).
func SharesMadeKey(st *store.Store, userID string) string {
	return st.Key("user", userID, "share-links")
}

// removeScript deletes the report KEYS[1] if ARGV[1] owns it, with its share links (records
// KEYS[2], views KEYS[3], every link's pointer ARGV[3]..link and its member of SharesMadeKey
// KEYS[7]) and their entries in the list KEYS[4], the in-flight set KEYS[5] and the user's index
// KEYS[6]. It returns 0 when the report is not the user's (or gone already), 1 when it deleted.
// One script is one round trip, and atomic: nothing recreates a deleted report (the job only
// updates one that exists), and no link outlives it, because lib/share's create WATCHes the
// report, so a link created at the same moment is either seen here and deleted or refused
// there. The user's list stays in the index even when its last report goes: a collection key
// stays listed for the account's life, because a report created meanwhile would recreate the
// list outside the index (docs/security.md, "Every key of a user is in the user's index").
var removeScript = redisScript(`
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] then return 0 end
local links = redis.call('HKEYS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], KEYS[1], KEYS[2], KEYS[3])
for _, l in ipairs(links) do
  redis.call('DEL', ARGV[3] .. l)
  redis.call('SREM', KEYS[6], ARGV[3] .. l)
  redis.call('SREM', KEYS[7], ARGV[2] .. ':' .. l)
end
return 1`)

// Delete removes the user's report and everything that hangs off it (removeScript), in one
// round trip; ErrNotFound when it is not the user's.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	links, views := ShareKeys(s.st, id)
	keys := []string{s.key(id), links, views, s.listKey(userID), s.inflightKey(), s.st.IndexKey(userID), SharesMadeKey(s.st, userID)}
	n, err := removeScript.Run(ctx, s.st.R, keys, userID, id, SharePointerKey(s.st, "")).Int()
	if err != nil {
		return store.Err(fmt.Errorf("report: delete %s: %w", id, err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
