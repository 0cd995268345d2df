package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

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

// remove deletes a report, its share links (records, views, every link's pointer and its
// member of SharesMadeKey) and their entries in the user's index in one transaction: nothing
// recreates a deleted report (the job only updates one that exists), and no link outlives it.
// It WATCHes the links hash, and lib/share's create WATCHes the report, so a link created at
// the same moment is either seen here and deleted or refused there. The user's list stays in
// the index even when its last report goes: a collection key stays listed for the account's
// life, because a report created meanwhile would recreate the list outside the index
// (docs/security.md, "Every key of a user is in the user's index").
func (s *Service) remove(ctx context.Context, userID, id string) error {
	links, _ := ShareKeys(s.st, id)
	for range 10 {
		err := s.st.R.Watch(ctx, func(tx *redis.Tx) error { return s.removeIn(ctx, tx, userID, id) }, links)
		if !errors.Is(err, redis.TxFailedErr) {
			return store.Err(err)
		}
	}
	return store.Err(fmt.Errorf("report: delete %s: links kept changing", id))
}

// removeIn is remove's transaction: the links it read are the ones it deletes.
func (s *Service) removeIn(ctx context.Context, tx *redis.Tx, userID, id string) error {
	links, views := ShareKeys(s.st, id)
	linkIDs, err := tx.HKeys(ctx, links).Result()
	if err != nil {
		return err
	}
	_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.key(id), links, views)
		p.ZRem(ctx, s.listKey(userID), id)
		p.ZRem(ctx, s.inflightKey(), id)
		p.SRem(ctx, s.st.IndexKey(userID), s.key(id), links, views)
		for _, l := range linkIDs {
			p.Del(ctx, SharePointerKey(s.st, l))
			p.SRem(ctx, s.st.IndexKey(userID), SharePointerKey(s.st, l))
			p.SRem(ctx, SharesMadeKey(s.st, userID), id+":"+l)
		}
		return nil
	})
	return err
}
