package deletion

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/store"
)

// Leftover is a key that still mentions a user.
type Leftover struct {
	Key string
	// Billing is true for billing records, which are kept on purpose.
	Billing bool
	// TTL is the key's expiry; negative when it has none.
	TTL time.Duration
	// Indexed is true when the user's index lists the key.
	Indexed bool
}

// Breaks reports whether the key breaks the retention invariant (docs/security.md, "The
// user's key index"): every key of a user that has no expiry of at most 30 days is in the
// user's index, where deletion finds it. After a purge the index is gone, so for a deleted
// account it means: nothing but billing records is left without an expiry ≤ 30 days.
func (l Leftover) Breaks() bool {
	return !l.Billing && !l.Indexed && (l.TTL <= 0 || l.TTL > store.MaxUnindexedTTL)
}

// Verify scans the whole keyspace under the prefix for keys whose name or value contains the
// user's id or any of needles (the e-mail address, the name, token values). It is for support
// and tests — a SCAN has no place on a request path — and answers what remains, each key with
// what Breaks needs to judge it. It is meant for deleted accounts: a live account's id is
// also, rightly, in shared sets (the due schedules, the 2FA and integration indexes).
func (s *Service) Verify(ctx context.Context, userID string, needles ...string) ([]Leftover, error) {
	needles = append([]string{userID}, needles...)
	var out []Leftover
	iter := s.st.R.Scan(ctx, 0, s.st.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		v, err := dump(ctx, s.st, k)
		if err != nil {
			return nil, err
		}
		if containsAny(k+"\x00"+v, needles) {
			out = append(out, s.leftover(ctx, userID, k))
		}
	}
	if err := iter.Err(); err != nil {
		return nil, store.Err(err)
	}
	return out, nil
}

// leftover describes key k of the user. The index counts as indexed: deletion finds it by name.
func (s *Service) leftover(ctx context.Context, userID, k string) Leftover {
	index := s.st.IndexKey(userID)
	return Leftover{Key: k, Billing: strings.HasPrefix(k, s.st.Key("billing")+":"),
		TTL: s.st.R.TTL(ctx, k).Val(), Indexed: k == index || s.st.R.SIsMember(ctx, index, k).Val()}
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// dump renders a key's value as text, whatever its type.
func dump(ctx context.Context, st *store.Store, k string) (string, error) {
	r := st.R
	switch typ, err := r.Type(ctx, k).Result(); {
	case err != nil:
		return "", store.Err(err)
	case typ == "string":
		return r.Get(ctx, k).Val(), nil
	case typ == "hash":
		return fmt.Sprint(r.HGetAll(ctx, k).Val()), nil
	case typ == "set":
		return fmt.Sprint(r.SMembers(ctx, k).Val()), nil
	case typ == "list":
		return fmt.Sprint(r.LRange(ctx, k, 0, -1).Val()), nil
	case typ == "zset":
		return fmt.Sprint(r.ZRangeWithScores(ctx, k, 0, -1).Val()), nil
	default:
		return typ, nil
	}
}
